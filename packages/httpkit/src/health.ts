import { getMetricsHandler } from '@service-runtime/observability';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { httpkitLogger } from './access-log.ts';
import type { AppState } from './app-state.ts';
import { sendProblem } from './problem.ts';
import { pathOf } from './request-path.ts';
import { stateOf } from './request-state.ts';

/**
 * `/healthz` (liveness), `/readyz` (readiness checks, 503 while draining) and `/metrics`
 * (Prometheus text of observability's meter provider) as one middleware: a request to any other
 * path costs one switch, not three route matches.
 */
export function healthEndpoints(app: AppState): RequestHandler {
  return function httpkitHealth(req: Request, res: Response, next: NextFunction): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    const path = pathOf(req.url);
    if (path === '/healthz') {
      named(res, path);
      res.setHeader('cache-control', 'no-store');
      res.json({ status: 'ok' });
    } else if (path === '/readyz') {
      named(res, path);
      void readiness(app, res);
    } else if (path === '/metrics') {
      named(res, path);
      const handler = getMetricsHandler();
      if (handler === undefined) sendProblem(res, 404, 'Metrics are not exported in the Prometheus format here.');
      else handler(req, res);
    } else next();
  };
}

// When a health path is traced (removed from the untraced list), its span gets this route.
function named(res: Response, route: string): void {
  const state = stateOf(res);
  if (state !== undefined) state.route = route;
}

async function readiness(app: AppState, res: Response): Promise<void> {
  res.setHeader('cache-control', 'no-store');
  if (app.draining) {
    res.status(503).json({ status: 'draining' });
    return;
  }
  const checks: Record<string, 'ok' | 'failed'> = {};
  let ready = true;
  await Promise.all(
    [...app.checks].map(async ([name, check]) => {
      try {
        await withTimeout(Promise.resolve().then(check), app.readinessTimeoutMs);
        checks[name] = 'ok';
      } catch (error) {
        ready = false;
        checks[name] = 'failed';
        (app.logger ?? httpkitLogger()).warn({ err: error, check: name }, 'readiness check failed');
      }
    }),
  );
  // A check may have finished after draining started.
  if (app.draining) ready = false;
  res.status(ready ? 200 : 503).json({
    status: ready ? 'ready' : app.draining ? 'draining' : 'not_ready',
    checks,
  });
}

function withTimeout(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`readiness check timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
