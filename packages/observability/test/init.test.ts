import { Writable } from 'node:stream';
import { metrics, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../../../test/helpers/otlp-receiver.ts';
import { initObservability, type Observability } from '../src/observability.ts';
import { withSpan } from '../src/with-span.ts';
import { getMetricsHandler } from '../src/metrics.ts';
import { createBoundHistogram } from '../src/bound-instruments.ts';

function lines() {
  const out: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) out.push(JSON.parse(line));
      done();
    },
  });
  return { out, destination };
}

let obs: Observability | undefined;
beforeEach(() => {
  for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];
});
afterEach(async () => {
  await obs?.shutdown();
  obs = undefined;
});

describe('initObservability', () => {
  it('is idempotent: a second call returns the same handle and warns when options differ', () => {
    const { out, destination } = lines();
    obs = initObservability({
      serviceName: 'a',
      tracesExporter: 'none',
      handleSignals: false,
      logger: { destination },
    });
    const again = initObservability({
      serviceName: 'a',
      tracesExporter: 'none',
      handleSignals: false,
      logger: { destination },
    });
    expect(again).toBe(obs);
    expect(out).toHaveLength(0);
    const different = initObservability({ serviceName: 'b', handleSignals: false });
    expect(different).toBe(obs);
    expect(different.serviceName).toBe('a');
    expect(out.map((l) => l['msg'])).toEqual([expect.stringMatching(/called again with different options/)]);
  });

  it('sends spans with the resource to an OTLP receiver and flushes them on shutdown', async () => {
    await using receiver = await startOtlpReceiver();
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = receiver.endpoint;
    process.env['OTEL_RESOURCE_ATTRIBUTES'] = 'deployment.environment.name=test';
    obs = initObservability({ serviceName: 'orders', serviceVersion: '9.9.9', handleSignals: false });
    withSpan('work', () => undefined, { kind: SpanKind.SERVER });
    expect(receiver.spans).toHaveLength(0); // batched, not sent on the hot path
    await obs.shutdown();
    const [span] = await receiver.waitForSpans(1);
    expect(span).toMatchObject({ name: 'work', kind: 2 });
    expect(span?.resource).toMatchObject({
      'service.name': 'orders',
      'service.version': '9.9.9',
      'deployment.environment.name': 'test',
      'process.pid': process.pid,
      'telemetry.sdk.language': 'nodejs',
    });
    expect(span?.resource['host.name']).toEqual(expect.any(String));
    expect(obs.tracingHealth()).toMatchObject({ exported: 1, failed: 0, dropped: 0 });
  });

  it('shutdown is safe to call twice, never rejects with the collector down, and stops within its bound', async () => {
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = 'http://127.0.0.1:9'; // discard port: connection refused
    obs = initObservability({
      handleSignals: false,
      shutdownTimeoutMs: 1500,
      logger: { destination: lines().destination },
    });
    withSpan('lost', () => undefined);
    const started = Date.now();
    await expect(Promise.all([obs.shutdown(), obs.shutdown()])).resolves.toBeDefined();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(obs.tracingHealth().exported).toBe(0);
  });

  it('uses extra span processors, and the logger carries trace_id and span_id of the active span', () => {
    const memory = new InMemorySpanExporter();
    const { out, destination } = lines();
    obs = initObservability({
      serviceName: 'logs',
      tracesExporter: 'none',
      handleSignals: false,
      spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
      logger: { destination },
    });
    obs.logger.info('outside');
    withSpan('logged', (span) => {
      obs?.logger.info({ order: 7 }, 'inside');
      expect(trace.getActiveSpan()).toBe(span);
    });
    obs.logger.info({ trace_id: 'given', span_id: 'given' }, 'explicit ids');
    const [span] = memory.getFinishedSpans();
    expect(out[0]).not.toHaveProperty('trace_id');
    expect(out[2]).toMatchObject({ msg: 'explicit ids', trace_id: 'given', span_id: 'given' });
    expect(out.map((l) => l['time'])).toEqual(out.map((l) => new Date(String(l['time'])).toISOString()));
    expect(out[1]).toMatchObject({
      msg: 'inside',
      order: 7,
      service_name: 'logs',
      trace_id: span?.spanContext().traceId,
      span_id: span?.spanContext().spanId,
      level: 'info',
    });
  });

  it('applies the OTEL span limits from the environment and warns once through the logger about a bad one', () => {
    process.env.OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT = '2';
    process.env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT = '4';
    process.env.OTEL_SPAN_EVENT_COUNT_LIMIT = 'lots';
    const memory = new InMemorySpanExporter();
    const { out, destination } = lines();
    obs = initObservability({
      serviceName: 'limits',
      tracesExporter: 'none',
      handleSignals: false,
      spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
      logger: { destination },
    });
    obs
      .tracer()
      .startSpan('limited', { attributes: { a: 'abcdefgh', b: 1, c: true } })
      .end();
    const [span] = memory.getFinishedSpans();
    expect(span?.attributes).toEqual({ a: 'abcd', b: 1 });
    expect(span?.droppedAttributesCount).toBe(1);
    const warnings = out.filter((line) => String(line['msg']).includes('OTEL_SPAN_EVENT_COUNT_LIMIT'));
    expect(warnings).toHaveLength(1);
  });

  it('serves tracing-health metrics in Prometheus text', async () => {
    await using receiver = await startOtlpReceiver();
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = receiver.endpoint;
    obs = initObservability({ handleSignals: false });
    withSpan('one', () => undefined);
    await obs.forceFlush();
    const text = await scrape();
    expect(text).toMatch(/otel_sdk_exporter_span_exported(_total)?\{[^}]*\} 1/);
    expect(text).toMatch(/otel_sdk_processor_span_queue_capacity\{[^}]*\} 2048/);
  });

  it('warns about an unknown LOG_LEVEL through the logger and keeps the code level', () => {
    const { out, destination } = lines();
    process.env['LOG_LEVEL'] = 'chatty';
    try {
      obs = initObservability({ tracesExporter: 'none', handleSignals: false, logger: { level: 'warn', destination } });
    } finally {
      delete process.env['LOG_LEVEL'];
    }
    expect(obs.logger.level).toBe('warn');
    expect(out.map((l) => l['msg'])).toContainEqual(expect.stringMatching(/LOG_LEVEL="chatty".*using warn/));
  });

  it('exports metrics over OTLP with the configured protocol', async () => {
    await using receiver = await startOtlpReceiver();
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = receiver.endpoint;
    process.env['OTEL_EXPORTER_OTLP_PROTOCOL'] = 'http/json';
    process.env['OTEL_METRICS_EXPORTER'] = 'otlp';
    obs = initObservability({ tracesExporter: 'none', handleSignals: false });
    obs.meter('test').createCounter('orders.created').add(2);
    await obs.forceFlush();
    await expect.poll(() => receiver.contentTypes).toContainEqual(expect.stringContaining('application/json'));
    expect(getMetricsHandler()).toBeUndefined();
  });

  it('exports the bound instruments through the OTLP reader, in one scope with the API instruments', async () => {
    await using receiver = await startOtlpReceiver();
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = receiver.endpoint;
    process.env['OTEL_EXPORTER_OTLP_PROTOCOL'] = 'http/json';
    process.env['OTEL_METRICS_EXPORTER'] = 'otlp';
    process.env['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE'] = 'delta';
    obs = initObservability({ tracesExporter: 'none', handleSignals: false });
    obs.meter('orders-scope', '1.0.0').createCounter('orders.created').add(2);
    const handle = createBoundHistogram({ name: 'orders-scope', version: '1.0.0' }, 'orders.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: [0.1, 1] },
    }).bind({ route: '/orders' });
    handle.record(0.5);
    handle.record(3);
    await obs.forceFlush();
    await expect.poll(() => receiver.metricsJson.length).toBeGreaterThan(0);
    interface JsonMetric {
      name: string;
      histogram?: { aggregationTemporality: number; dataPoints: Record<string, unknown>[] };
    }
    const [request] = receiver.metricsJson as {
      resourceMetrics: { scopeMetrics: { scope: { name: string }; metrics: JsonMetric[] }[] }[];
    }[];
    const scopes = request!.resourceMetrics[0]!.scopeMetrics.filter((s) => s.scope.name === 'orders-scope');
    expect(scopes).toHaveLength(1);
    expect(scopes[0]!.metrics.map((m) => m.name)).toEqual(['orders.created', 'orders.duration']);
    const histogram = scopes[0]!.metrics[1]!.histogram!;
    expect(histogram.aggregationTemporality).toBe(1); // delta, as the preference asks
    expect(histogram.dataPoints[0]).toMatchObject({
      attributes: [{ key: 'route', value: { stringValue: '/orders' } }],
      count: 2,
      sum: 3.5,
      bucketCounts: [0, 1, 1],
      explicitBounds: [0.1, 1],
      min: 0.5,
      max: 3,
    });
  });

  it('is a no-op when OTEL_SDK_DISABLED=true', () => {
    process.env['OTEL_SDK_DISABLED'] = 'true';
    obs = initObservability({ handleSignals: false, logger: { destination: lines().destination } });
    expect(obs.disabled).toBe(true);
    const span = obs.tracer().startSpan('nothing');
    expect(span.isRecording()).toBe(false);
    expect(metrics.getMeterProvider().constructor.name).not.toBe('MeterProvider');
  });
});

async function scrape(): Promise<string> {
  const handler = getMetricsHandler();
  if (!handler) throw new Error('no Prometheus handler');
  const { createServer } = await import('node:http');
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  } finally {
    server.close();
  }
}
