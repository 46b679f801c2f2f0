import { getLogger, jsonString, type Logger, logLineWriter } from '@service-runtime/observability';
import { pathOf } from './request-path.ts';
import type { AccessLogLine } from './internal-types.ts';
import type { RequestState } from './request-state.ts';

const MESSAGE = 'request completed';
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
  const path = pathOf(state.req.originalUrl ?? state.req.url);
  const durationMs = Math.round(seconds * 1e6) / 1e3;
  const write = logLineWriter(logger);
  if (write !== undefined) {
    // Fixed shape, the bytes pino would write for the object below: only request-derived strings escaped.
    let fields = `,"method":${jsonString(method)}`;
    if (route !== undefined) fields += `,"route":${jsonString(route)}`;
    fields += `,"path":${jsonString(path)},"status":${status},"duration_ms":${durationMs}`;
    fields += `,"trace_id":"${ids.traceId}","span_id":"${ids.spanId}"`;
    if (state.requestId !== undefined) fields += `,"request_id":${jsonString(state.requestId)}`;
    write(level, aborted ? `${fields},"aborted":true` : fields, MESSAGE);
    return;
  }
  const line: AccessLogLine = {
    method,
    route,
    path,
    status,
    duration_ms: durationMs,
    trace_id: ids.traceId,
    span_id: ids.spanId,
    request_id: state.requestId,
  };
  // Only aborted requests carry the key: pino walks every key, undefined ones included.
  if (aborted) line.aborted = true;
  logger[level](line, MESSAGE);
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
