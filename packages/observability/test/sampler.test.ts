import { context, ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConstantSampler, ParentOrRootSampler, TraceIdRatioSampler } from '../src/lean-samplers.ts';
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

describe('the lean built-in samplers decide as the SDK samplers they replace', () => {
  const hex = (length: number) =>
    fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFxz'), minLength: length, maxLength: length });
  const parentContext = fc.oneof(
    fc.constant(ROOT_CONTEXT),
    fc
      .record({
        traceId: fc.oneof(hex(32), fc.constant('0'.repeat(32)), hex(31)),
        spanId: fc.oneof(hex(16), fc.constant('0'.repeat(16))),
        traceFlags: fc.integer({ min: 0, max: 255 }),
        isRemote: fc.boolean(),
      })
      .map((ctx) => trace.setSpanContext(ROOT_CONTEXT, ctx)),
  );
  const pairs = (ratio: number): [Sampler, Sampler][] => [
    [new ConstantSampler(true), new AlwaysOnSampler()],
    [new ConstantSampler(false), new AlwaysOffSampler()],
    [new TraceIdRatioSampler(ratio), new TraceIdRatioBasedSampler(ratio)],
    [new ParentOrRootSampler(new ConstantSampler(true)), new ParentBasedSampler({ root: new AlwaysOnSampler() })],
    [new ParentOrRootSampler(new ConstantSampler(false)), new ParentBasedSampler({ root: new AlwaysOffSampler() })],
    [
      new ParentOrRootSampler(new TraceIdRatioSampler(ratio)),
      new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
    ],
  ];

  it('same decision, no attributes or trace state, and the same name, for any parent, trace id and ratio', () => {
    const ratio = fc.oneof(fc.double({ min: -1, max: 2, noNaN: false }), fc.constantFrom(0, 1, 0.5, Number.NaN));
    fc.assert(
      fc.property(ratio, parentContext, fc.oneof(hex(32), hex(30)), (r, ctx, traceId) => {
        for (const [lean, sdk] of pairs(r)) {
          const expected = sdk.shouldSample(ctx, traceId, 'span', SpanKind.SERVER, {}, []);
          expect(lean.shouldSample(ctx, traceId, 'span', SpanKind.SERVER, {}, [])).toStrictEqual(expected);
          expect(lean.toString()).toBe(sdk.toString());
        }
      }),
      { numRuns: 500 },
    );
  });
});
