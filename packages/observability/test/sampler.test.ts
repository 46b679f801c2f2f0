import { context, ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { createSampler } from '../src/sampler.ts';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const parent = (sampled: boolean) =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE_ID,
    spanId: 'b7ad6b7169203331',
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });
const decide = (sampler: ReturnType<typeof createSampler>, ctx = context.active(), traceId = TRACE_ID) =>
  sampler.shouldSample(ctx, traceId, 'span', SpanKind.SERVER, {}, []).decision;

describe('samplers from OTEL_TRACES_SAMPLER', () => {
  it('parentbased_always_on samples roots and follows the parent decision', () => {
    const sampler = createSampler({ name: 'parentbased_always_on', ratio: 1 });
    expect(decide(sampler, ROOT_CONTEXT)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(sampler, parent(true))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(sampler, parent(false))).toBe(SamplingDecision.NOT_RECORD);
  });

  it('ratio 0 drops new roots but never cuts a sampled upstream trace', () => {
    for (const name of ['traceidratio', 'parentbased_traceidratio'] as const) {
      const sampler = createSampler({ name, ratio: 0 });
      expect(decide(sampler, ROOT_CONTEXT)).toBe(SamplingDecision.NOT_RECORD);
      expect(decide(sampler, parent(true))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
      expect(decide(sampler, parent(false))).toBe(SamplingDecision.NOT_RECORD);
    }
  });

  it('ratio 1 samples every new root and still follows an unsampled parent', () => {
    const sampler = createSampler({ name: 'parentbased_traceidratio', ratio: 1 });
    expect(decide(sampler, ROOT_CONTEXT)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(sampler, parent(false))).toBe(SamplingDecision.NOT_RECORD);
  });

  it('ratio 0.5 samples roughly half of new roots', () => {
    const sampler = createSampler({ name: 'parentbased_traceidratio', ratio: 0.5 });
    let sampled = 0;
    for (let i = 0; i < 2000; i++) {
      const traceId = `${i.toString(16).padStart(8, '0')}${'0'.repeat(8)}${Math.floor(Math.random() * 2 ** 32)
        .toString(16)
        .padStart(8, '0')}${'1'.repeat(8)}`;
      if (decide(sampler, ROOT_CONTEXT, traceId) === SamplingDecision.RECORD_AND_SAMPLED) sampled++;
    }
    expect(sampled).toBeGreaterThan(700);
    expect(sampled).toBeLessThan(1300);
  });

  it('always_off records nothing, parentbased_always_off still honours a sampled parent', () => {
    expect(decide(createSampler({ name: 'always_off', ratio: 1 }), parent(true))).toBe(SamplingDecision.NOT_RECORD);
    const pb = createSampler({ name: 'parentbased_always_off', ratio: 1 });
    expect(decide(pb, ROOT_CONTEXT)).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(pb, parent(true))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });
});
