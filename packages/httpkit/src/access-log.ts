import { getLogger, type Logger } from '@service-runtime/observability';
import { pathOf } from './request-path.ts';
import type { AccessLogLine } from './internal-types.ts';
import type { RequestState } from './request-state.ts';

let parentLogger: Logger | undefined;
let childLogger: Logger | undefined;

/**
 * Writes the one access-log line of a request: method, route, path (no query), status,
 * duration_ms, trace_id, span_id and request_id. 5xx and aborted requests log at `warn`.
 */
export function writeAccessLog(
  state: RequestState,
  method: string,
  route: string | undefined,
  status: number,
  aborted: boolean,
  seconds: number,
): void {
  const logger = state.observers.logger ?? httpkitLogger();
  const level = aborted || status >= 500 ? 'warn' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  const ids = state.span.spanContext();
  const line: AccessLogLine = {
    method,
    route,
    path: pathOf(state.req.originalUrl ?? state.req.url),
    status,
    duration_ms: Math.round(seconds * 1e6) / 1e3,
    trace_id: ids.traceId,
    span_id: ids.spanId,
    request_id: state.requestId,
  };
  // Only aborted requests carry the key: pino walks every key, undefined ones included.
  if (aborted) line.aborted = true;
  logger[level](line, 'request completed');
}

/** httpkit's logger: a child of observability's current logger, rebuilt only when init replaces it. */
export function httpkitLogger(): Logger {
  const parent = getLogger();
  if (parent !== parentLogger || childLogger === undefined) {
    parentLogger = parent;
    childLogger = parent.child({ component: 'httpkit' });
  }
  return childLogger;
}
