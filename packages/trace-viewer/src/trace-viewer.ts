import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TraceViewerError } from './errors.ts';
import { createOtlpHttpHandler, DEFAULT_MAX_BODY_BYTES } from './otlp-http-receiver.ts';
import { TraceStore, type TraceStoreLimits } from './trace-store.ts';
import { createWebHandler } from './web-app.ts';

/** OTLP connections served at once: each may buffer a request body up to its bound. */
const MAX_OTLP_CONNECTIONS = 64;

/** Options of {@link startTraceViewer}; ports 0 pick free ones. */
export interface TraceViewerOptions {
  /** Port of the web page. Default 8318. */
  port?: number;
  /** Port of the OTLP/HTTP receiver. Default 4318, the standard OTLP/HTTP port. */
  otlpPort?: number;
  /** Address both listen on. Default 127.0.0.1: a development tool is not exposed to the network. */
  host?: string;
  /** Bounds of the in-memory store. */
  limits?: Partial<TraceStoreLimits>;
  /** Largest OTLP request body accepted, in bytes (after gunzip). Default 16 MiB. */
  maxBodyBytes?: number;
}

/** A running viewer: where the page is, where to send OTLP, the store, and how to stop it. */
export interface TraceViewer extends AsyncDisposable {
  /** The page, e.g. `http://127.0.0.1:8318`. */
  readonly url: string;
  /** For `OTEL_EXPORTER_OTLP_ENDPOINT`, e.g. `http://127.0.0.1:4318`. */
  readonly otlpEndpoint: string;
  readonly store: TraceStore;
  close(): Promise<void>;
}

/** Default port of the web page. */
export const DEFAULT_PAGE_PORT = 8318;
/** Default port of the OTLP/HTTP receiver. */
export const DEFAULT_OTLP_PORT = 4318;

async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new TraceViewerError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${error.message}`, { cause: error }),
      ),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shown}:${address.port}`;
}

/** Starts the receiver and the page; the store keeps what arrives until the process ends. */
export async function startTraceViewer(options: TraceViewerOptions = {}): Promise<TraceViewer> {
  const host = options.host ?? '127.0.0.1';
  const store = new TraceStore(options.limits);
  const loopbackOnly = ['127.0.0.1', '::1', 'localhost'].includes(host);
  let otlpEndpoint = '';
  const web = createWebHandler(store, { loopbackOnly, otlpEndpoint: () => otlpEndpoint });
  const pageServer = createServer(web.handle);
  const otlpServer = createServer(createOtlpHttpHandler(store, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES));
  // Exporters keep connections open; a short keep-alive lets close() finish promptly.
  otlpServer.keepAliveTimeout = 5_000;
  otlpServer.maxConnections = MAX_OTLP_CONNECTIONS;
  const close = async () => {
    web.close();
    for (const server of [pageServer, otlpServer]) {
      server.closeAllConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
  try {
    otlpEndpoint = await listen(otlpServer, options.otlpPort ?? DEFAULT_OTLP_PORT, host);
    const url = await listen(pageServer, options.port ?? DEFAULT_PAGE_PORT, host);
    return { url, otlpEndpoint, store, close, [Symbol.asyncDispose]: close };
  } catch (error) {
    await close();
    throw error;
  }
}
