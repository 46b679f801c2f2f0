import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resetConfigWarnings, setConfigWarningSink } from '../src/env.ts';
import { LeanTracerProvider } from '../src/lean-tracer-provider.ts';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { resolveSpanLimits } from '../src/span-limits.ts';

const warnings: string[] = [];
let restoreSink: ReturnType<typeof setConfigWarningSink>;

beforeEach(() => {
  warnings.length = 0;
  resetConfigWarnings();
  restoreSink = setConfigWarningSink((message) => warnings.push(message));
});
afterEach(() => {
  setConfigWarningSink(restoreSink);
});

describe('span limits from the OpenTelemetry environment variables', () => {
  it('defaults to 128 of each and no length limit', () => {
    expect(resolveSpanLimits({})).toEqual({
      attributeCountLimit: 128,
      attributeValueLengthLimit: Infinity,
      eventCountLimit: 128,
      linkCountLimit: 128,
      attributePerEventCountLimit: 128,
      attributePerLinkCountLimit: 128,
    });
    expect(warnings).toEqual([]);
  });

  it('span-specific variables win over the general ones, which bound events and links too', () => {
    const general = { OTEL_ATTRIBUTE_COUNT_LIMIT: '10', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '20' };
    expect(resolveSpanLimits(general)).toMatchObject({
      attributeCountLimit: 10,
      attributeValueLengthLimit: 20,
      attributePerEventCountLimit: 10,
      attributePerLinkCountLimit: 10,
      eventCountLimit: 128,
    });
    const specific = {
      ...general,
      OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '3',
      OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '4',
      OTEL_SPAN_EVENT_COUNT_LIMIT: '5',
      OTEL_SPAN_LINK_COUNT_LIMIT: '0',
      OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: '6',
      OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: '7',
    };
    expect(resolveSpanLimits(specific)).toEqual({
      attributeCountLimit: 3,
      attributeValueLengthLimit: 4,
      eventCountLimit: 5,
      linkCountLimit: 0,
      attributePerEventCountLimit: 6,
      attributePerLinkCountLimit: 7,
    });
  });

  it('a bad value warns once, naming the variable, and the default applies', () => {
    const env = { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: 'many', OTEL_SPAN_EVENT_COUNT_LIMIT: '2.5' };
    expect(resolveSpanLimits(env)).toMatchObject({ attributeCountLimit: 128, eventCountLimit: 128 });
    resolveSpanLimits(env);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT');
    expect(warnings[1]).toContain('OTEL_SPAN_EVENT_COUNT_LIMIT');
  });

  it('the provider reads them when no limits are given in code', async () => {
    process.env.OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT = '3';
    process.env.OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT = '1';
    try {
      const exporter = new InMemorySpanExporter();
      const provider = new LeanTracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
      provider
        .getTracer('limits')
        .startSpan('s', { attributes: { a: 'abcdef', b: 'x' } })
        .end();
      const [span] = exporter.getFinishedSpans() as [ReadableSpan];
      expect(span.attributes).toEqual({ a: 'abc' });
      expect(span.droppedAttributesCount).toBe(1);
      await provider.shutdown();
    } finally {
      delete process.env.OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT;
      delete process.env.OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT;
    }
  });
});
