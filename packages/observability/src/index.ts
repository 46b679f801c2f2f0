export { initObservability } from './observability.ts';
export { withSpan, recordError } from './with-span.ts';
export { getTraceIds } from './trace-ids.ts';
export { getLogger, createLogger } from './logger.ts';
export { logLineWriter, jsonString } from './log-line.ts';
export { startAttributesObserved } from './start-attributes.ts';
export { getMetricsHandler } from './metrics.ts';
export { createBoundHistogram, createBoundCounter } from './bound-instruments.ts';
export { onShutdown, DEFAULT_SHUTDOWN_GRACE_MS } from './shutdown-hooks.ts';
export { readString, readNumber, readBoolean, readList, warnOnce, shown } from './env.ts';
export { toConsoleLine } from './console-exporter.ts';

export type { Observability } from './observability.ts';
export type { WithSpanOptions } from './with-span.ts';
export type { Logger } from './logger.ts';
export type { LogLineWriter } from './log-line.ts';
export type { MetricsRequestHandler } from './metrics.ts';
export type {
  BoundHistogram,
  BoundHistogramHandle,
  BoundCounter,
  BoundCounterHandle,
  BoundInstrumentOptions,
  BoundInstrumentScope,
} from './bound-instruments.ts';
export type { ShutdownHook, ShutdownContext, ShutdownHookOptions, ShutdownPhase } from './shutdown-hooks.ts';
export type { ConsoleSpanLine } from './console-exporter.ts';
export type {
  ObservabilityOptions,
  TracesExporterName,
  LogsExporterName,
  MetricsExporterName,
  OtlpProtocol,
  TracingHealth,
  TraceIds,
} from './types.ts';
