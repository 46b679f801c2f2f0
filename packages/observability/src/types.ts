import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { DestinationStream, LevelWithSilent } from 'pino';

/** Where finished spans go. `console` prints one JSON line per span on stdout. */
export type TracesExporterName = 'console' | 'otlp' | 'none';
/** Where log lines go (`OTEL_LOGS_EXPORTER`). `console` writes JSON lines on stdout; `otlp` sends log records. */
export type LogsExporterName = 'console' | 'otlp' | 'none';
/** Where metrics go. `prometheus` is served by httpkit at `/metrics`. */
export type MetricsExporterName = 'prometheus' | 'otlp' | 'console' | 'none';
/** OTLP wire protocol (`OTEL_EXPORTER_OTLP_PROTOCOL`). */
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** Options for {@link initObservability}. Environment variables override every one of them. */
export interface ObservabilityOptions {
  /** `service.name`; `OTEL_SERVICE_NAME` wins. */
  serviceName?: string;
  /** `service.version`. */
  serviceVersion?: string;
  /** `deployment.environment.name`. */
  environment?: string;
  /** Extra resource attributes; `OTEL_RESOURCE_ATTRIBUTES` entries win over these. */
  resourceAttributes?: Record<string, string | number | boolean>;
  /** Flush and shut down (after the registered shutdown hooks) on SIGTERM/SIGINT. Default true. */
  handleSignals?: boolean;
  /** Default exporter choice when `OTEL_TRACES_EXPORTER` is unset. */
  tracesExporter?: TracesExporterName | TracesExporterName[];
  /** Default log exporters when `OTEL_LOGS_EXPORTER` is unset. Default `console`. */
  logsExporter?: LogsExporterName | LogsExporterName[];
  /** Default metrics exporter when `OTEL_METRICS_EXPORTER` is unset. */
  metricsExporter?: MetricsExporterName;
  /** Default OTLP base endpoint (e.g. `http://collector:4318`) when no env variable names one. */
  otlpEndpoint?: string;
  /** Bound on `shutdown()` in milliseconds. Default 5000. */
  shutdownTimeoutMs?: number;
  /** Escape hatch: replaces the sampler chosen from `OTEL_TRACES_SAMPLER`. */
  sampler?: Sampler;
  /** Escape hatch: span processors added after the exporter's batch processor. */
  spanProcessors?: SpanProcessor[];
  /** Escape hatch: auto-instrumentations for third-party libraries (instrumentation-http, undici...). */
  instrumentations?: Instrumentation[];
  /** Logger settings; `LOG_LEVEL` overrides `level`. */
  logger?: { level?: LevelWithSilent; destination?: DestinationStream };
}

/** Counts that tell whether telemetry is reaching its backend. */
export interface TracingHealth {
  /** Spans the exporter accepted. */
  exported: number;
  /** Spans whose export failed (backend down, 5xx, timeout). */
  failed: number;
  /** Spans dropped because the bounded queue was full. */
  dropped: number;
  /** Spans waiting in the queue now. */
  queued: number;
}

/** Trace ids of the active span, named as they appear in log lines. */
export interface TraceIds {
  trace_id?: string;
  span_id?: string;
}
