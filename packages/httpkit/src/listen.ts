import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onShutdown } from '@service-runtime/observability';
import type { Express } from 'express';
import { httpkitLogger } from './access-log.ts';
import { type AppState, appState } from './app-state.ts';
import { onClientError } from './client-error.ts';
import { resolveShutdownTimeoutMs } from './config.ts';
import { errorHandler, notFound } from './problem.ts';
import type { ListenOptions, RunningServer } from './types.ts';

const IDLE_SWEEP_MS = 25;

/**
 * Mounts the 404 and error handlers after the app's routes (add routes before calling this), starts
 * an HTTP server and resolves once it listens. Its `close()` is also registered with observability's
 * `onShutdown`, so SIGTERM drains it before telemetry is flushed.
 */
export async function listen(app: Express, options: ListenOptions = {}): Promise<RunningServer> {
  const state = appState(app);
  if (!state.finalized) {
    state.finalized = true;
    app.use(notFound());
    app.use(errorHandler());
  }
  const shutdownTimeoutMs = resolveShutdownTimeoutMs(options.shutdownTimeoutMs);
  const server = createServer(options.maxHeaderSize === undefined ? {} : { maxHeaderSize: options.maxHeaderSize }, app);
  server.on('clientError', onClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  state.draining = false;
  let closing: Promise<void> | undefined;
  let unregister: (() => void) | undefined;
  const close = (timeoutMs = shutdownTimeoutMs): Promise<void> => {
    closing ??= drain(server, state, timeoutMs, options.drainDelayMs ?? 0).finally(() => unregister?.());
    return closing;
  };
  // First in the shutdown sequence, whatever was created first: readiness 503 and the HTTP drain
  // come before the bus stops (in-flight requests may still publish), within the shutdown grace.
  if (options.closeOnShutdown !== false) {
    unregister = onShutdown((ctx) => close(Math.min(shutdownTimeoutMs, ctx.remainingMs())), { phase: 'server' });
  }
  return {
    url: `http://${urlHost(options.host)}:${port}`,
    port,
    server,
    close: () => close(),
    [Symbol.asyncDispose]: () => close(),
  };
}

/**
 * Readiness answers 503 (after `drainDelayMs`, so load balancers can notice), the listener closes,
 * responses from then on carry `Connection: close`, idle keep-alive connections are closed as soon
 * as their last response is out, and after `timeoutMs` whatever is still open is cut.
 */
async function drain(server: Server, state: AppState, timeoutMs: number, drainDelayMs: number): Promise<void> {
  state.draining = true;
  if (drainDelayMs > 0) await sleep(drainDelayMs);
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.prependListener('request', closeAfterResponse);
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  sweep.unref();
  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([
    closed.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  clearInterval(sweep);
  if (!finished) {
    httpkitLogger().warn(
      { timeout_ms: timeoutMs },
      'in-flight requests did not finish in time; closing their connections',
    );
    server.closeAllConnections();
    await closed;
  }
  server.off('request', closeAfterResponse);
}

function closeAfterResponse(_req: IncomingMessage, res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('connection', 'close');
}

function urlHost(host: string | undefined): string {
  if (host === undefined || host === '' || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
