import { context } from '@opentelemetry/api';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/**
 * Express's JSON parser with a size limit, continued in the request's trace context: the body is
 * read from socket events that carry no context, so without this the handlers after it would run
 * outside the server span. Requests without a body go straight to `then`, the next step of
 * createApp's chain; a parse error goes to `next(error)`.
 */
export function jsonBody(limitBytes: number, then: RequestHandler): RequestHandler {
  const parse = express.json({ limit: limitBytes });
  return function httpkitJsonBody(req: Request, res: Response, next: NextFunction): void {
    const headers = req.headers;
    if (headers['transfer-encoding'] === undefined && (headers['content-length'] ?? '0') === '0') {
      then(req, res, next);
      return;
    }
    const ctx = context.active();
    parse(req, res, (error?: unknown) => {
      if (error === undefined) context.with(ctx, then, undefined, req, res, next);
      else context.with(ctx, next, undefined, error);
    });
  };
}
