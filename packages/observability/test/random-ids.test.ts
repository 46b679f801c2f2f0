import { isValidSpanId, isValidTraceId } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { PooledRandomIdGenerator } from '../src/random-ids.ts';

describe('PooledRandomIdGenerator', () => {
  it('gives valid, distinct W3C ids across many pool refills', () => {
    const ids = new PooledRandomIdGenerator();
    const traces = new Set<string>();
    const spans = new Set<string>();
    // 4 KiB per pool: 2,000 of each id uses 48,000 bytes, about a dozen refills
    for (let i = 0; i < 2000; i++) {
      const traceId = ids.generateTraceId();
      const spanId = ids.generateSpanId();
      expect(isValidTraceId(traceId)).toBe(true);
      expect(isValidSpanId(spanId)).toBe(true);
      traces.add(traceId);
      spans.add(spanId);
    }
    expect(traces.size).toBe(2000);
    expect(spans.size).toBe(2000);
  });

  it('spreads its bytes: every hex digit shows up in every position of the trace ids', () => {
    const ids = new PooledRandomIdGenerator();
    const seen = Array.from({ length: 32 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) {
      const id = ids.generateTraceId();
      for (let at = 0; at < 32; at++) seen[at]!.add(id[at]!);
    }
    expect(seen.every((digits) => digits.size === 16)).toBe(true);
  });
});
