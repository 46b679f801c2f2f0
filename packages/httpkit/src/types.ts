import type { Server } from 'node:http';
import type { Logger } from '@service-runtime/observability';

/** Options of {@link tracing}: the server-span middleware alone. */
export interface TracingOptions {
  /**
   * Exact paths (no query) that get no span, no access-log line and no metric. Default
   * `['/healthz', '/readyz', '/metrics']`; `HTTPKIT_UNTRACED_PATHS` (comma-separated) overrides it.
   */
  untracedPaths?: readonly string[];
  /**
   * Continue the caller's trace from `traceparent` (default true: services inside the mesh). Set false
   * on services that face the outside: each request then starts a new trace with a span link to the
   * caller's context, so outsiders can neither choose trace ids nor force sampling, and their baggage
   * is ignored. `HTTPKIT_TRUST_INCOMING_TRACE_CONTEXT` (`true`/`false`) overrides it.
   */
  trustIncomingTraceContext?: boolean;
  /**
   * Write one access-log line per request (method, route, status, duration_ms, trace_id). Default
   * false for `tracing()`, true in `createApp`.
   */
  accessLog?: boolean;
  /** Record the `http.server.request.duration` histogram. Default false for `tracing()`, true in `createApp`. */
  metrics?: boolean;
  /** Logger for access-log lines; default a child of observability's `getLogger()`. */
  logger?: Logger;
}

/** Options of {@link createApp}. */
export interface CreateAppOptions extends Omit<TracingOptions, 'accessLog' | 'metrics'> {
  /** Write the access-log line for each request. Default true. */
  accessLog?: boolean;
  /** Record the request-duration histogram. Default true. */
  metrics?: boolean;
  /**
   * Largest JSON body accepted, in bytes or as `'100kb'`, `'1mb'`; larger bodies get 413.
   * Default `'100kb'`; `HTTPKIT_BODY_LIMIT` overrides it.
   */
  bodyLimit?: number | string;
  /** Longest a readiness check may take before it counts as failed, in ms. Default 2000. */
  readinessTimeoutMs?: number;
}

/** A readiness check: resolve (or return) to pass, throw or reject to fail. */
export type ReadinessCheck = () => unknown | Promise<unknown>;

/** Options of {@link listen}. */
export interface ListenOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; default every interface (Node's default), and `url` then names `127.0.0.1`. */
  host?: string;
  /**
   * Longest `close()` waits for in-flight requests before cutting their connections, in ms.
   * Default 10000; `HTTPKIT_SHUTDOWN_TIMEOUT_MS` overrides it.
   */
  shutdownTimeoutMs?: number;
  /** Time between flipping readiness to 503 and refusing new connections, in ms. Default 0. */
  drainDelayMs?: number;
  /** Register `close()` with observability's `onShutdown` (SIGTERM/SIGINT). Default true. */
  closeOnShutdown?: boolean;
  /** Largest request header section in bytes (Node's `maxHeaderSize`); larger ones get 431. */
  maxHeaderSize?: number;
}

/** A server started by {@link listen}. */
export interface RunningServer extends AsyncDisposable {
  /** `http://host:port`, ready to call. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** The underlying Node.js server. */
  readonly server: Server;
  /**
   * Graceful stop: readiness answers 503, new connections are refused, in-flight requests finish
   * (up to the shutdown timeout), then idle keep-alive connections are closed. Safe to call twice.
   */
  close(): Promise<void>;
}

/** Options of {@link createHttpClient}. */
export interface HttpClientOptions {
  /**
   * Hosts that may receive `traceparent`/`tracestate`/`baggage`: `name`, `name:port` or
   * `*.suffix`. Every other host gets them stripped. `HTTPKIT_TRUSTED_HOSTS` overrides it.
   */
  trustedHosts?: readonly string[];
  /** The fetch to call; default the global `fetch`. */
  fetch?: typeof fetch;
}

/** A `fetch` that records a CLIENT span per call and keeps trace headers inside the trust boundary. */
export type TracedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** An RFC 9457 problem document as httpkit sends it. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** Trace id of the request's span, to quote when reporting the error. */
  trace_id?: string;
  /** The request id (`x-request-id`). */
  request_id?: string;
}
