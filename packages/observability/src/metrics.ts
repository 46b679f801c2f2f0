import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Resource } from '@opentelemetry/resources';
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import type { Meter } from '@opentelemetry/api';
import { loggingErrorHandler, setGlobalErrorHandler } from '@opentelemetry/core';
import type { BatchObserver } from './batch-processor.ts';
import type { ResolvedConfig } from './config.ts';
import type { NoticeSink } from './export-failure-log.ts';
import { BoundInstrumentRegistry } from './bound-instrument-registry.ts';
import { OtlpHttpMetricExporter } from './otlp-metric-exporter.ts';
import type { Redactor } from './redact.ts';
import { ScopeMergingExporter } from './scope-merging-exporter.ts';

/** Serves the Prometheus text format; httpkit mounts it at `/metrics`. */
export type MetricsRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

let prometheusHandler: MetricsRequestHandler | undefined;

/** The Prometheus handler of the active meter provider, if metrics go to Prometheus. */
export function getMetricsHandler(): MetricsRequestHandler | undefined {
  return prometheusHandler;
}

/** Sets (or clears) the Prometheus handler; used by init and by the testing setup. */
export function setMetricsHandler(handler: MetricsRequestHandler | undefined): void {
  prometheusHandler = handler;
}

const require = createRequire(import.meta.url);

/** The OTLP metric exporter for the configured protocol; gRPC is loaded only when chosen. */
function createOtlpMetricExporter(config: ResolvedConfig, notices: NoticeSink, redact: Redactor): PushMetricExporter {
  const otlp = config.metricsOtlp;
  switch (otlp.protocol) {
    case 'grpc': {
      const grpc = require('@opentelemetry/exporter-metrics-otlp-grpc') as {
        OTLPMetricExporter: new (config: { url: string; timeoutMillis: number }) => PushMetricExporter;
      };
      return new grpc.OTLPMetricExporter({ url: otlp.url, timeoutMillis: otlp.timeoutMs });
    }
    default:
      return new OtlpHttpMetricExporter(
        {
          url: otlp.url,
          headers: otlp.headers,
          json: otlp.protocol === 'http/json',
          timeoutMs: Math.min(otlp.timeoutMs, config.metricExportIntervalMs),
          notices,
          redact,
        },
        config.metricsTemporality,
      );
  }
}

// The periodic reader hands every failed export to the SDK's global error handler, which logs it with
// a stack each interval; our exporter has already counted it and logged it at most once a minute.
function quietReportedExportFailures(): void {
  const log = loggingErrorHandler();
  setGlobalErrorHandler((error) => {
    if (error instanceof Error && error.message.includes('(error OtlpExportError:')) return;
    log(error);
  });
}

/**
 * Builds the meter provider for the chosen metrics exporter; every reader also exports the bound
 * instruments (httpkit's and natsbus's hot ones), through its own producer.
 */
export function createMeterProvider(
  config: ResolvedConfig,
  resource: Resource,
  notices: NoticeSink,
  redact: Redactor,
): MeterProvider {
  const bound = new BoundInstrumentRegistry();
  const readers: IMetricReader[] = [];
  const periodic = (exporter: PushMetricExporter, timeoutMs?: number) =>
    bound.reader(
      (metricProducers) =>
        new PeriodicExportingMetricReader({
          exporter: new ScopeMergingExporter(exporter),
          exportIntervalMillis: config.metricExportIntervalMs,
          ...(timeoutMs === undefined ? {} : { exportTimeoutMillis: timeoutMs }),
          metricProducers,
        }),
    );
  switch (config.metricsExporter) {
    case 'prometheus': {
      const exporter = bound.reader(
        (metricProducers) => new PrometheusExporter({ preventServerStart: true, metricProducers }),
      );
      setMetricsHandler((req, res) => exporter.getMetricsRequestHandler(req, res));
      readers.push(exporter);
      break;
    }
    case 'otlp':
      quietReportedExportFailures();
      readers.push(
        periodic(
          createOtlpMetricExporter(config, notices, redact),
          Math.min(config.metricsOtlp.timeoutMs, config.metricExportIntervalMs),
        ),
      );
      break;
    case 'console':
      readers.push(periodic(new ConsoleMetricExporter()));
      break;
    case 'none':
      break;
  }
  return bound.install(new MeterProvider({ resource, readers }));
}

/**
 * Tracing-health counters, named after the OpenTelemetry SDK self-observability conventions:
 * spans exported, failed (with `error.type`) and dropped from the full queue.
 */
export function createTracingHealthObserver(meter: Meter, queued: () => number, capacity: number): BatchObserver {
  const exported = meter.createCounter('otel.sdk.exporter.span.exported', {
    description: 'Spans the exporter has attempted to export, with error.type when the export failed',
    unit: '{span}',
  });
  const processed = meter.createCounter('otel.sdk.processor.span.processed', {
    description: 'Spans handled by the batch processor, with error.type=queue_full when dropped',
    unit: '{span}',
  });
  meter
    .createObservableGauge('otel.sdk.processor.span.queue.size', {
      description: 'Spans waiting in the export queue',
      unit: '{span}',
    })
    .addCallback((result) => result.observe(queued()));
  meter
    .createObservableGauge('otel.sdk.processor.span.queue.capacity', {
      description: 'Bound of the export queue',
      unit: '{span}',
    })
    .addCallback((result) => result.observe(capacity));
  return {
    onExported: (count) => {
      exported.add(count);
      processed.add(count);
    },
    onFailed: (count, reason) => {
      exported.add(count, { 'error.type': reason });
      processed.add(count);
    },
    onDropped: (count) => processed.add(count, { 'error.type': 'queue_full' }),
  };
}
