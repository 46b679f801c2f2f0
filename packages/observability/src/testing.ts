import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type Sampler } from '@opentelemetry/sdk-trace';
import { BoundInstrumentRegistry } from './bound-instrument-registry.ts';
import { LeanTracerProvider } from './lean-tracer-provider.ts';
import { PooledRandomIdGenerator } from './random-ids.ts';
import { createResource } from './resource.ts';
import { setMetricsHandler } from './metrics.ts';

/** What {@link setupTestTelemetry} returns: the finished spans and the Prometheus text. */
export interface TestTelemetry {
  /** Spans finished so far, in the order they ended. */
  spans(): ReadableSpan[];
  /** Forgets the spans finished so far. */
  reset(): void;
  /** Prometheus text of every metric recorded so far. */
  prometheusText(): Promise<string>;
  /** Uninstalls the global providers. */
  shutdown(): Promise<void>;
}

/**
 * Installs global tracer and meter providers for unit tests: spans go synchronously to an in-memory
 * exporter, metrics to a Prometheus reader (also served by httpkit's `/metrics`), W3C propagation.
 */
export function setupTestTelemetry(options: { serviceName?: string; sampler?: Sampler } = {}): TestTelemetry {
  const exporter = new InMemorySpanExporter();
  const resource = createResource({ 'service.name': options.serviceName ?? 'test-service' });
  const tracerProvider = new LeanTracerProvider({
    resource,
    ...(options.sampler ? { sampler: options.sampler } : {}),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
    idGenerator: new PooledRandomIdGenerator(),
  });
  // the bound instruments export through the reader as with observability's own provider
  const bound = new BoundInstrumentRegistry();
  const prometheus = bound.reader(
    (metricProducers) => new PrometheusExporter({ preventServerStart: true, metricProducers }),
  );
  const meterProvider = bound.install(new MeterProvider({ resource, readers: [prometheus] }));
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  setMetricsHandler((req, res) => prometheus.getMetricsRequestHandler(req, res));
  return {
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    async prometheusText() {
      const { resourceMetrics } = await prometheus.collect();
      const { PrometheusSerializer } = await import('@opentelemetry/exporter-prometheus');
      return new PrometheusSerializer().serialize(resourceMetrics);
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      setMetricsHandler(undefined);
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    },
  };
}
