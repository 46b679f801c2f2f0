import pino, { type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import { readString, shown, warnOnce } from './env.ts';
import { stdoutDestination } from './log-destination.ts';
import { registerOwnLogger } from './log-line.ts';
import { getTraceIds } from './trace-ids.ts';

export type { Logger };

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * A pino logger whose every line carries `trace_id` and `span_id` of the active span, so logs
 * and traces join in the backend. `LOG_LEVEL` overrides the level given in code.
 */
export function createLogger(
  bindings: { serviceName?: string; level?: LevelWithSilent; destination?: DestinationStream } = {},
): Logger {
  const fallback = bindings.level ?? 'info';
  const envLevel = readString('LOG_LEVEL')?.toLowerCase();
  if (envLevel !== undefined && !LEVELS.includes(envLevel)) {
    warnOnce(`LOG_LEVEL=${shown(envLevel)} is not one of ${LEVELS.join(', ')}; using ${fallback}`);
  }
  const level = envLevel !== undefined && LEVELS.includes(envLevel) ? envLevel : fallback;
  const options = {
    level,
    base: bindings.serviceName ? { service_name: bindings.serviceName } : {},
    timestamp: isoTimeCachedPerMs,
    formatters: { level: (label: string) => ({ level: label }) },
    mixin: traceIdsUnlessGiven,
  };
  const logger = pino(options, bindings.destination ?? stdoutDestination());
  registerOwnLogger(logger);
  return logger;
}

let lastMs = -1;
let lastTime = '';

// Busy services log many lines per millisecond: format the ISO time once per millisecond.
function isoTimeCachedPerMs(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

// A caller that already passes the ids (httpkit's access log does) does not pay for looking them up.
// pino merges the line into the returned object, so it must be a fresh one.
function traceIdsUnlessGiven(mergeObject: object): object {
  return 'trace_id' in mergeObject ? {} : getTraceIds();
}

let defaultLogger: Logger | undefined;

/** The process-wide logger: the one `initObservability` configured, or a default one until then. */
export function getLogger(): Logger {
  defaultLogger ??= createLogger({ serviceName: process.env['OTEL_SERVICE_NAME']?.trim() || undefined });
  return defaultLogger;
}

/** Makes `logger` the process-wide logger returned by {@link getLogger}. */
export function setLogger(logger: Logger): void {
  defaultLogger = logger;
}
