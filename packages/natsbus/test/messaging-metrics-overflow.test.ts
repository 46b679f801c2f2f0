// Past 2,000 attribute sets, the message counters and durations count new sets in the spec's
// overflow set instead of losing them.
import { metrics } from '@opentelemetry/api';
import { MeterProvider, type DataPoint, type Histogram, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterAll, describe, expect, it } from 'vitest';
import { PullMetricReader } from '../../../test/helpers/pull-metric-reader.ts';
import { recordSent, sentTally } from '../src/messaging-metrics.ts';

function points<T>(collected: ResourceMetrics, name: string): DataPoint<T>[] {
  return collected.scopeMetrics
    .flatMap((s) => s.metrics)
    .filter((m) => m.descriptor.name === name)
    .flatMap((m) => m.dataPoints as DataPoint<T>[]);
}

afterAll(() => metrics.disable());

describe('message tallies past the attribute-set bound', () => {
  it('count every message, new sets in otel.metric.overflow', async () => {
    const reader = new PullMetricReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    const sets = 2005;
    for (let i = 0; i < sets; i++) {
      recordSent(sentTally({ 'messaging.destination.name': `overflow.${i}` }), 0.001, undefined, 1);
    }
    // a failure past the bound counts in the overflow set too, without error.type
    recordSent(sentTally({ 'messaging.destination.name': 'overflow.late' }), 0.001, 'timeout', 1);

    const collected = (await reader.collect()).resourceMetrics;
    const sent = points<number>(collected, 'messaging.client.sent.messages');
    expect(sent.reduce((total, p) => total + p.value, 0)).toBe(sets + 1);
    const past = sent.filter((p) => p.attributes['otel.metric.overflow'] === true);
    expect(past).toHaveLength(1);
    expect(past[0]?.attributes).toEqual({ 'otel.metric.overflow': true });
    expect(past[0]?.value).toBe(sets - 1998 + 1);
    const durations = points<Histogram>(collected, 'messaging.client.operation.duration');
    expect(durations.reduce((total, p) => total + p.value.count, 0)).toBe(sets + 1);
  });
});
