import { diag, DiagLogLevel, metrics, type Attributes } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  MetricReader,
  PeriodicExportingMetricReader,
  type MetricProducer,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PullMetricReader } from '../../../test/helpers/pull-metric-reader.ts';
import { BoundInstrumentRegistry } from '../src/bound-instrument-registry.ts';
import { CARDINALITY_LIMIT } from '../src/bound-instrument-storage.ts';
import { createBoundCounter, createBoundHistogram } from '../src/index.ts';
import { mergeSameScopes, ScopeMergingExporter } from '../src/scope-merging-exporter.ts';
import { setupTestTelemetry } from '../src/testing.ts';

const resource = resourceFromAttributes({ 'service.name': 'bound-test' });
const SCOPE = { name: '@service-runtime/bound-test', version: '1.2.3' };
// Unsorted, with ±Infinity and a duplicate: the SDK sorts and trims advice; so must the bound histogram.
const ADVICE = { explicitBucketBoundaries: [0.1, 0.005, 1, Infinity, 0.025, -Infinity, 5, 0.01, 0.05, 1] };
const SETS: Attributes[] = [
  { 'http.request.method': 'GET', 'http.route': '/a', 'http.response.status_code': 200 },
  { 'http.request.method': 'GET', 'http.route': '/a', 'http.response.status_code': 500, 'error.type': '500' },
  { 'http.request.method': 'POST' },
  {},
  { flag: true, list: ['x', 'y'] },
];
// the same set as SETS[0], written in another key order: the SDK merges the two, so must bind
const SET_0_REORDERED: Attributes = {
  'http.response.status_code': 200,
  'http.route': '/a',
  'http.request.method': 'GET',
};

const value = fc.oneof(
  fc.constantFrom(0, -0, 0.005, 0.01, 1, 5, 5.000001, 1e9, Infinity, NaN, -1, -Infinity),
  fc.double({ min: 0, max: 10, noNaN: true }),
  fc.integer({ min: 0, max: 1000 }),
);
const op = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('record' as const), instrument: fc.nat(2), set: fc.nat(5), value }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('collect' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.nat(5000) }) },
);

/** Two providers fed the same measurements: one through the SDK's API instruments, one bound. */
function pair(makeReader: (metricProducers?: MetricProducer[]) => MetricReader) {
  const sdkReader = makeReader();
  const sdk = new MeterProvider({ resource, readers: [sdkReader] });
  const registry = new BoundInstrumentRegistry();
  const boundReader = registry.reader((producers) => makeReader(producers));
  const bound = registry.install(new MeterProvider({ resource, readers: [boundReader] }));
  metrics.disable();
  metrics.setGlobalMeterProvider(bound);
  const meter = sdk.getMeter(SCOPE.name, SCOPE.version);
  const api = [
    meter.createHistogram('test.duration', { unit: 's', description: 'A duration', advice: ADVICE }),
    meter.createCounter('test.messages', { unit: '{message}', description: 'Messages' }),
    meter.createHistogram('test.size'),
  ];
  const boundHistogram = createBoundHistogram(SCOPE, 'test.duration', {
    unit: 's',
    description: 'A duration',
    advice: ADVICE,
  });
  const boundCounter = createBoundCounter(SCOPE, 'test.messages', { unit: '{message}', description: 'Messages' });
  const boundSize = createBoundHistogram(SCOPE, 'test.size');
  const handles = [
    [...SETS, SET_0_REORDERED].map((set) => boundHistogram.bind(set)),
    [...SETS, SET_0_REORDERED].map((set) => boundCounter.bind(set)),
    [...SETS, SET_0_REORDERED].map((set) => boundSize.bind(set)),
  ];
  const record = (instrument: number, set: number, v: number) => {
    const attributes = set === SETS.length ? SET_0_REORDERED : SETS[set]!;
    const a = api[instrument]!;
    if ('record' in a) a.record(v, attributes);
    else a.add(v, attributes);
    const h = handles[instrument]![set]!;
    if ('record' in h) h.record(v);
    else h.add(v);
  };
  return { sdkReader, boundReader, record, shutdown: () => Promise.all([sdk.shutdown(), bound.shutdown()]) };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
  metrics.disable();
});

describe('bound instruments report what the SDK reports', () => {
  for (const [label, temporality] of [
    ['cumulative', AggregationTemporality.CUMULATIVE],
    ['delta', AggregationTemporality.DELTA],
  ] as const) {
    it(`gives the same ResourceMetrics and OTLP bytes as the SDK's instruments (${label})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
          const { sdkReader, boundReader, record, shutdown } = pair((p) => new PullMetricReader(temporality, p));
          const compare = async () => {
            const expected = (await sdkReader.collect()).resourceMetrics;
            const actual = (await boundReader.collect()).resourceMetrics;
            expect(actual.scopeMetrics).toStrictEqual(expected.scopeMetrics);
            expect(ProtobufMetricsSerializer.serializeRequest(actual)).toEqual(
              ProtobufMetricsSerializer.serializeRequest(expected),
            );
            expect(JsonMetricsSerializer.serializeRequest(actual)).toEqual(
              JsonMetricsSerializer.serializeRequest(expected),
            );
          };
          for (const step of ops) {
            if (step.op === 'record') record(step.instrument, step.set, step.value);
            else if (step.op === 'tick') vi.setSystemTime(Date.now() + step.ms);
            else await compare();
          }
          await compare();
          await shutdown();
        }),
        { numRuns: 60 },
      );
    });
  }

  it('gives the same Prometheus text as the SDK instruments', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const { sdkReader, boundReader, record, shutdown } = pair(
          (metricProducers) => new PrometheusExporter({ preventServerStart: true, metricProducers }),
        );
        const text = async (reader: MetricReader) =>
          new PrometheusSerializer().serialize((await reader.collect()).resourceMetrics);
        for (const step of ops) {
          if (step.op === 'record') record(step.instrument, step.set, step.value);
          else if (step.op === 'tick') vi.setSystemTime(Date.now() + step.ms);
          else expect(await text(boundReader)).toBe(await text(sdkReader));
        }
        expect(await text(boundReader)).toBe(await text(sdkReader));
        await shutdown();
      }),
      { numRuns: 40 },
    );
  });

  it('gives each reader of one provider its own temporality, as the SDK does', async () => {
    const sdkReaders = [
      new PullMetricReader(AggregationTemporality.DELTA),
      new PullMetricReader(AggregationTemporality.CUMULATIVE),
    ];
    const sdk = new MeterProvider({ resource, readers: sdkReaders });
    const registry = new BoundInstrumentRegistry();
    const boundReaders = [
      registry.reader((p) => new PullMetricReader(AggregationTemporality.DELTA, p)),
      registry.reader((p) => new PullMetricReader(AggregationTemporality.CUMULATIVE, p)),
    ];
    const bound = registry.install(new MeterProvider({ resource, readers: boundReaders }));
    metrics.setGlobalMeterProvider(bound);
    const api = sdk.getMeter(SCOPE.name, SCOPE.version).createHistogram('test.duration', { advice: ADVICE });
    const handle = createBoundHistogram(SCOPE, 'test.duration', { advice: ADVICE }).bind(SETS[0]!);
    const both = (v: number) => {
      api.record(v, SETS[0]);
      handle.record(v);
    };
    // collections of the two readers interleave: each must see every value exactly once
    for (const [values, reader] of [
      [[0.2, 3], 0],
      [[0.01], 1],
      [[7, 0.03], 1],
      [[], 0],
      [[0.5], 0],
    ] as const) {
      values.forEach(both);
      vi.setSystemTime(Date.now() + 1000);
      const expected = (await sdkReaders[reader]!.collect()).resourceMetrics.scopeMetrics;
      expect((await boundReaders[reader]!.collect()).resourceMetrics.scopeMetrics).toStrictEqual(expected);
    }
    await Promise.all([sdk.shutdown(), bound.shutdown()]);
  });
});

describe('values the SDK refuses', () => {
  it('are dropped with the warnings the SDK gives', async () => {
    const warnings: string[] = [];
    const quiet = () => undefined;
    diag.setLogger(
      { warn: (message: string) => warnings.push(message), error: quiet, info: quiet, debug: quiet, verbose: quiet },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
    try {
      const { sdkReader, boundReader, record, shutdown } = pair(
        (p) => new PullMetricReader(AggregationTemporality.DELTA, p),
      );
      const refused = [-1, -Infinity, '5', '-5', undefined].map((v) => v as unknown as number);
      const sdkWarnings: string[] = [];
      const api = new MeterProvider({ resource }).getMeter(SCOPE.name);
      const apiHistogram = api.createHistogram('test.duration');
      const apiCounter = api.createCounter('test.messages');
      for (const v of refused) {
        apiHistogram.record(v);
        apiCounter.add(v);
      }
      sdkWarnings.push(...warnings.splice(0));
      for (const v of refused) {
        record(0, 0, v);
        record(1, 0, v);
      }
      // record() gives each value to the SDK instrument, then to the bound one: each warning twice
      expect(sdkWarnings).toHaveLength(2 * refused.length);
      expect(warnings).toEqual(sdkWarnings.flatMap((warning) => [warning, warning]));
      expect((await boundReader.collect()).resourceMetrics.scopeMetrics).toEqual(
        (await sdkReader.collect()).resourceMetrics.scopeMetrics,
      );
      await shutdown();
    } finally {
      diag.disable();
    }
  });
});

describe('bound instruments under a provider observability did not build', () => {
  it('record through the global provider API instruments, which the user views and readers see', async () => {
    const reader = new PullMetricReader(AggregationTemporality.CUMULATIVE);
    const foreign = new MeterProvider({
      resource,
      readers: [reader],
      views: [{ instrumentName: 'test.duration', name: 'renamed.by.user.view' }],
    });
    metrics.setGlobalMeterProvider(foreign);
    const handle = createBoundHistogram(SCOPE, 'test.duration', { unit: 's', advice: ADVICE }).bind(SETS[2]!);
    handle.record(0.02);
    handle.record(2);
    const [scope] = (await reader.collect()).resourceMetrics.scopeMetrics;
    expect(scope?.scope).toEqual({ name: SCOPE.name, version: SCOPE.version, schemaUrl: undefined });
    const metric = scope!.metrics[0]!;
    expect(metric.descriptor.name).toBe('renamed.by.user.view');
    expect(metric.dataPoints).toHaveLength(1);
    expect(metric.dataPoints[0]!.attributes).toEqual(SETS[2]);
    expect(metric.dataPoints[0]!.value).toMatchObject({ count: 2, sum: 2.02, min: 0.02, max: 2 });
    await foreign.shutdown();
  });

  it('record nothing and throw nothing while metrics are disabled (no global provider)', async () => {
    metrics.disable();
    const counter = createBoundCounter(SCOPE, 'test.messages').bind({});
    expect(() => counter.add(3)).not.toThrow();
    // then observability's provider is installed: the same handle records into it from then on
    const telemetry = setupTestTelemetry();
    counter.add(2);
    expect(await telemetry.prometheusText()).toMatch(/^test_messages_total\{[^}]*\} 2$/m);
    await telemetry.shutdown();
  });

  it('move to the new provider after re-initialisation and never write into the old one', async () => {
    const histogram = createBoundHistogram(SCOPE, 'test.reinit', { advice: ADVICE });
    const handle = histogram.bind(SETS[0]!);
    const first = setupTestTelemetry();
    handle.record(1);
    handle.record(1);
    const firstText = await first.prometheusText();
    await first.shutdown();

    const second = setupTestTelemetry();
    handle.record(5);
    expect(await second.prometheusText()).toMatch(/^test_reinit_count\{[^}]*\} 1$/m);
    expect(await second.prometheusText()).toMatch(/^test_reinit_sum\{[^}]*\} 5$/m);
    expect(firstText).toMatch(/^test_reinit_count\{[^}]*\} 2$/m);

    // a user's own provider replaces observability's: records go there, observability's sees none
    metrics.disable();
    const reader = new PullMetricReader(AggregationTemporality.CUMULATIVE);
    const foreign = new MeterProvider({ resource, readers: [reader] });
    metrics.setGlobalMeterProvider(foreign);
    handle.record(0.5);
    const [scope] = (await reader.collect()).resourceMetrics.scopeMetrics;
    expect(scope!.metrics[0]!.dataPoints[0]!.value).toMatchObject({ count: 1, sum: 0.5 });
    expect(await second.prometheusText()).toMatch(/^test_reinit_count\{[^}]*\} 1$/m);
    await Promise.all([foreign.shutdown(), second.shutdown()]);
  });
});

describe('bound instrument cardinality', () => {
  it('keeps the first 2000 attribute sets and puts later ones in the otel.metric.overflow series', async () => {
    const telemetry = setupTestTelemetry();
    const histogram = createBoundHistogram(SCOPE, 'test.many', { advice: ADVICE });
    const extra = 150;
    for (let i = 0; i < CARDINALITY_LIMIT + extra; i++) {
      // bound per record, as httpkit does past its cache: equal sets must still meet in one series
      histogram.bind({ 'http.route': `/r/${i}` }).record(0.01);
      if (i % 2 === 0) histogram.bind({ 'http.route': `/r/${i}` }).record(0.01);
    }
    const text = await telemetry.prometheusText();
    const counts = text.split('\n').filter((line) => line.startsWith('test_many_count'));
    expect(counts).toHaveLength(CARDINALITY_LIMIT + 1);
    const countOf = (line: string) => Number(line.slice(line.lastIndexOf(' ') + 1));
    expect(counts.filter((l) => l.includes('http_route="/r/0"')).map(countOf)).toEqual([2]);
    expect(counts.filter((l) => l.includes('http_route="/r/1"')).map(countOf)).toEqual([1]);
    expect(counts.some((l) => l.includes(`http_route="/r/${CARDINALITY_LIMIT}"`))).toBe(false);
    const overflow = counts.filter((l) => l.includes('otel_metric_overflow="true"'));
    expect(overflow.map(countOf)).toEqual([extra + extra / 2]);
    // nothing lost: every record is in exactly one series
    expect(counts.map(countOf).reduce((a, b) => a + b)).toBe(
      CARDINALITY_LIMIT + extra + (CARDINALITY_LIMIT + extra) / 2,
    );
    await telemetry.shutdown();
  });
});

describe('scopes in one export', () => {
  it('a push exporter wrapped by ScopeMergingExporter gets one ScopeMetrics per scope', async () => {
    const inner = new InMemoryMetricExporter(AggregationTemporality.DELTA);
    const registry = new BoundInstrumentRegistry();
    const reader = registry.reader(
      (metricProducers) =>
        new PeriodicExportingMetricReader({
          exporter: new ScopeMergingExporter(inner),
          exportIntervalMillis: 60_000,
          metricProducers,
        }),
    );
    const provider = registry.install(new MeterProvider({ resource, readers: [reader] }));
    metrics.setGlobalMeterProvider(provider);
    provider.getMeter(SCOPE.name, SCOPE.version).createCounter('test.first').add(1);
    createBoundCounter(SCOPE, 'test.second').bind({}).add(2);
    await provider.forceFlush();
    const [exported] = inner.getMetrics();
    expect(exported!.scopeMetrics.map((s) => s.metrics.map((m) => m.descriptor.name))).toEqual([
      ['test.first', 'test.second'],
    ]);
    // the wrapper passes the inner exporter's temporality on to the reader
    expect(exported!.scopeMetrics[0]!.metrics.map((m) => m.aggregationTemporality)).toEqual([
      AggregationTemporality.DELTA,
      AggregationTemporality.DELTA,
    ]);
    await provider.shutdown();
  });

  it('merges the bound instruments into the scope of the SDK instruments, as one SDK scope would be', async () => {
    const sdkReader = new PullMetricReader(AggregationTemporality.CUMULATIVE);
    const sdk = new MeterProvider({ resource, readers: [sdkReader] });
    const registry = new BoundInstrumentRegistry();
    const boundReader = registry.reader((p) => new PullMetricReader(AggregationTemporality.CUMULATIVE, p));
    const bound = registry.install(new MeterProvider({ resource, readers: [boundReader] }));
    metrics.setGlobalMeterProvider(bound);
    sdk.getMeter(SCOPE.name, SCOPE.version).createCounter('test.first').add(1);
    sdk.getMeter(SCOPE.name, SCOPE.version).createHistogram('test.second').record(4, SETS[0]);
    bound.getMeter(SCOPE.name, SCOPE.version).createCounter('test.first').add(1);
    createBoundHistogram(SCOPE, 'test.second').bind(SETS[0]!).record(4);
    const expected: ResourceMetrics = (await sdkReader.collect()).resourceMetrics;
    const raw = (await boundReader.collect()).resourceMetrics;
    expect(raw.scopeMetrics).toHaveLength(2);
    const merged = mergeSameScopes(raw);
    expect(merged.scopeMetrics).toStrictEqual(expected.scopeMetrics);
    expect(ProtobufMetricsSerializer.serializeRequest(merged)).toEqual(
      ProtobufMetricsSerializer.serializeRequest(expected),
    );
    await Promise.all([sdk.shutdown(), bound.shutdown()]);
  });
});
