import type { Span } from '@opentelemetry/api';
import type { Logger } from '@service-runtime/observability';

/** The shape httpkit reads from a `router` layer (Express 5 / router 2.x); never exported. */
export interface RouterLayer {
  route?: { path?: unknown };
  handle?: unknown;
  rawPath?: unknown;
  slash?: boolean;
  match?(path: string): { path: string; pattern: unknown } | false;
}

/** One mount on the way from the app to a route, with the pattern it was mounted at. */
export interface MountedLayer {
  layer: RouterLayer;
  pattern: unknown;
}

/** One place where a route object is reachable, with its full template. */
export interface RouteCandidate {
  template: string;
  mounts: MountedLayer[];
}

/** What instrumentation-http stores in the context (`@opentelemetry/core` RPC metadata). */
export interface RpcMetadata {
  type: string;
  span: Span;
  route?: string;
}

/** Per-app settings every request of that app shares (built once, never per request). */
export interface RequestObservers {
  /** Exact paths that get no span, log line or metric. */
  untraced: ReadonlySet<string>;
  /** Continue an incoming trace (inside the mesh) or start a new one linked to it (at the edge). */
  trustIncoming: boolean;
  accessLog: boolean;
  metrics: boolean;
  /** Explicit access-log logger; default a child of observability's current logger. */
  logger: Logger | undefined;
  /** Methods recorded as themselves; others are `_OTHER` (`OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS`). */
  knownMethods: ReadonlySet<string>;
}

/** The fields of one access-log line (`aborted` only on requests the client gave up on). */
export interface AccessLogLine {
  method: string;
  route: string | undefined;
  path: string;
  status: number;
  duration_ms: number;
  trace_id: string;
  span_id: string;
  request_id: string | undefined;
  aborted?: true;
}
