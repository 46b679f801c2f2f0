import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { stateOf } from './request-state.ts';
import { HEADER_REQUEST_ID } from './semconv.ts';

const WELL_FORMED = /^[\w.:+=/-]{1,128}$/;

/**
 * Gives each request an id: the caller's `x-request-id` when it is short and plain, a new UUID
 * otherwise. It is echoed in the response header, kept in `res.locals.requestId` and logged.
 */
export function requestId(): RequestHandler {
  return function httpkitRequestId(req: Request, res: Response, next: NextFunction): void {
    assignRequestId(req, res);
    next();
  };
}

/** The work of {@link requestId} without calling `next`, for createApp's combined chain. */
export function assignRequestId(req: Request, res: Response): void {
  const incoming = req.headers[HEADER_REQUEST_ID];
  const id = typeof incoming === 'string' && WELL_FORMED.test(incoming) ? incoming : randomUUID();
  res.setHeader(HEADER_REQUEST_ID, id);
  res.locals['requestId'] = id;
  const state = stateOf(res);
  if (state !== undefined) state.requestId = id;
}
