import { STATUS_CODES } from 'node:http';
import { type Span, trace } from '@opentelemetry/api';
import { recordError } from '@service-runtime/observability';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { httpkitLogger } from './access-log.ts';
import { HttpError } from './errors.ts';
import { stateOf } from './request-state.ts';
import type { ProblemDetails } from './types.ts';

const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

// Errors of Express's body parser (`err.type`) → status and a detail that never quotes the body.
const BODY_ERRORS: Record<string, [number, string]> = {
  'entity.parse.failed': [400, 'The request body is not valid JSON.'],
  'entity.too.large': [413, 'The request body is larger than this endpoint accepts.'],
  'request.aborted': [400, 'The request body was cut off.'],
  'request.size.invalid': [400, 'The request body does not match its Content-Length.'],
  'encoding.unsupported': [415, 'The request body encoding is not supported.'],
  'charset.unsupported': [415, 'The request body charset is not supported.'],
  'parameters.too.many': [413, 'The request body has too many parameters.'],
};

/**
 * Sends an RFC 9457 `application/problem+json` response carrying the request's trace id and
 * request id, so a client can quote them when reporting the error.
 */
export function sendProblem(res: Response, status: number, detail?: string): void {
  const state = stateOf(res);
  const span = state?.span ?? trace.getActiveSpan();
  const problem: ProblemDetails = {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    trace_id: span?.spanContext().traceId,
    request_id: state?.requestId ?? (res.locals?.['requestId'] as string | undefined),
  };
  res.status(status).setHeader('content-type', PROBLEM_TYPE);
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(problem));
}

/** The 404 handler `listen` mounts after the user's routes: a problem response, span named by method. */
export function notFound(): RequestHandler {
  return function httpkitNotFound(_req: Request, res: Response): void {
    const state = stateOf(res);
    if (state !== undefined) state.unmatched = true;
    sendProblem(res, 404, 'No route matches this method and path.');
  };
}

/**
 * The error handler `listen` mounts last. Known client errors (invalid JSON 400, body too large 413,
 * an {@link HttpError} 4xx) become problem responses with their detail and leave the span status
 * unset; anything else is a 500 whose message stays out of the response, while the span records the
 * exception with status ERROR and `error.type`, and the error is logged with its stack.
 */
export function errorHandler(): ErrorRequestHandler {
  return function httpkitErrorHandler(error: unknown, req: Request, res: Response, _next: NextFunction): void {
    const state = stateOf(res);
    const { status, detail } = classify(error);
    const span: Span | undefined = state?.span ?? trace.getActiveSpan();
    if (status >= 500) {
      if (state !== undefined) state.error = error;
      if (span !== undefined) recordError(span, error);
      (state?.observers.logger ?? httpkitLogger()).error({ err: error, method: req.method }, 'request failed');
    }
    if (res.headersSent) {
      // Part of the response is out: the only honest signal left is to cut the connection.
      req.socket.destroy();
      return;
    }
    sendProblem(res, status, detail);
  };
}

function classify(error: unknown): {
  status: number;
  detail: string | undefined;
} {
  if (error instanceof HttpError)
    return {
      status: error.status,
      detail: error.status < 500 ? error.message : undefined,
    };
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {
    type?: unknown;
    status?: unknown;
    statusCode?: unknown;
    expose?: unknown;
    message?: unknown;
  };
  const known = typeof fields.type === 'string' ? BODY_ERRORS[fields.type] : undefined;
  if (known !== undefined) return { status: known[0], detail: known[1] };
  const raw = fields.status ?? fields.statusCode;
  const status = typeof raw === 'number' && Number.isInteger(raw) && raw >= 400 && raw <= 599 ? raw : 500;
  const exposed = status < 500 && fields.expose === true && typeof fields.message === 'string';
  return { status, detail: exposed ? (fields.message as string) : undefined };
}
