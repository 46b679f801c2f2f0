import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { appState } from './app-state.ts';
import { resolveBodyLimit } from './config.ts';
import { healthEndpoints } from './health.ts';
import { jsonBody } from './json-body.ts';
import { runChainBeforeRouter } from './default-chain-entry.ts';
import { assignRequestId } from './request-id.ts';
import { resolveObservers, tracingMiddleware } from './server-span.ts';
import type { CreateAppOptions } from './types.ts';

/**
 * An Express 5 app with the default chain, run ahead of its router (no router layer): server span (which also writes
 * the access-log line and the duration metric when the request ends), request id, JSON body parser
 * with a size limit, then `/healthz`, `/readyz` and `/metrics`. Add routes, then start it with `listen`, which mounts the
 * 404 and error handlers after them.
 */
export function createApp(options: CreateAppOptions = {}): Express {
  const bodyLimit = resolveBodyLimit(options.bodyLimit);
  const app = express();
  app.disable('x-powered-by');
  const state = appState(app);
  state.logger = options.logger;
  if (options.readinessTimeoutMs !== undefined) state.readinessTimeoutMs = options.readinessTimeoutMs;
  const health = healthEndpoints(state);
  const body = jsonBody(bodyLimit, health);
  // The default chain is one function: each step calls the next directly, in this order.
  const afterSpan = (req: Request, res: Response, next: NextFunction): void => {
    assignRequestId(req, res);
    body(req, res, next);
  };
  const chain = tracingMiddleware(resolveObservers(options, true, true), afterSpan);
  runChainBeforeRouter(app, chain);
  return app;
}
