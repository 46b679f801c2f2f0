// http.server.request.duration is recorded through a bound histogram: under observability's provider
// without per-request attribute hashing, under a user's own provider through its API histogram (so
// the user's views apply), and past httpkit's cache of attribute sets still one series per set.
import { metrics } from '@opentelemetry/api';
import { MeterProvider, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { createLogger } from '@service-runtime/observability';
import { setupTestTelemetry } from '@service-runtime/observability/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { PullMetricReader } from '../../../test/helpers/pull-metric-reader.ts';
import { createApp, listen } from '../src/index.ts';
import { MAX_CACHED_SETS, recordDuration } from '../src/request-metrics.ts';
import { DURATION_BUCKETS_SECONDS } from '../src/semconv.ts';

afterEach(() => metrics.disable());

describe('http.server.request.duration under a meter provider the user built', () => {
  it('records through the user provider, whose views apply, with the same attributes and buckets', async () => {
    const reader = new PullMetricReader();
    const provider = new MeterProvider({
      readers: [reader],
      views: [{ instrumentName: 'http.server.request.duration', name: 'user.http.duration' }],
    });
    metrics.setGlobalMeterProvider(provider);
    const app = createApp({ logger: createLogger({ level: 'silent' }) });
    app.get('/users/:id', (_req, res) => void res.json({}));
    await using server = await listen(app, { host: '127.0.0.1', closeOnShutdown: false });
    for (const id of ['1', '2', '3']) await (await fetch(`${server.url}/users/${id}`)).text();
    await (await fetch(`${server.url}/nowhere`)).text();
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((m) => m.descriptor.name === 'user.http.duration') as HistogramMetricData | undefined;
    expect(metric?.descriptor.unit).toBe('s');
    const users = metric!.dataPoints.find((p) => p.attributes['http.route'] === '/users/:id');
    expect(users?.attributes).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.route': '/users/:id',
      'http.response.status_code': 200,
    });
    expect(users?.value.count).toBe(3);
    expect(users?.value.buckets.boundaries).toEqual(DURATION_BUCKETS_SECONDS);
    expect(metric!.dataPoints.some((p) => p.attributes['http.response.status_code'] === 404)).toBe(true);
    await provider.shutdown();
  });
});

describe('attribute sets past the cache', () => {
  it('still meet in one series per set when bound per request', async () => {
    const telemetry = setupTestTelemetry();
    const extra = 40;
    // fill the cache, then record sets it no longer keeps, twice each
    for (let i = 0; i < MAX_CACHED_SETS + extra; i++) {
      recordDuration('GET', 'http', `/r/${i}`, 200, false, 0.01);
      if (i >= MAX_CACHED_SETS - extra) recordDuration('GET', 'http', `/r/${i}`, 200, false, 0.02);
    }
    const counts = (await telemetry.prometheusText())
      .split('\n')
      .filter((line) => line.startsWith('http_server_request_duration_count'));
    const countOf = (route: string) =>
      counts.filter((l) => l.includes(`http_route="${route}"`)).map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
    expect(countOf('/r/0')).toEqual([1]);
    expect(countOf(`/r/${MAX_CACHED_SETS - 1}`)).toEqual([2]);
    // past the instrument's cardinality limit (2,000 sets) the rest is in the overflow series
    const overflow = counts.filter((l) => l.includes('otel_metric_overflow="true"'));
    expect(overflow.map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)))).toEqual([2 * extra]);
    const total = counts.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    expect(total).toBe(MAX_CACHED_SETS + extra + 2 * extra);
    await telemetry.shutdown();
  });
});
