import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { getTraceIds } from './trace-ids.ts';

export type { Logger };

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * A pino logger whose every line carries `trace_id` and `span_id` of the active span, so logs
 * and traces join in the backend. `LOG_LEVEL` overrides the level given in code.
 */
export function createLogger(
  bindings: { serviceName?: string; level?: Level; destination?: DestinationStream } = {},
): Logger {
  const envLevel = process.env['LOG_LEVEL']?.trim().toLowerCase();
  const level = envLevel && LEVELS.includes(envLevel) ? envLevel : (bindings.level ?? 'info');
  const options = {
    level,
    base: bindings.serviceName ? { service_name: bindings.serviceName } : {},
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    mixin: getTraceIds,
  };
  return bindings.destination ? pino(options, bindings.destination) : pino(options);
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
