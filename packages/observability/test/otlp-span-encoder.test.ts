import { ROOT_CONTEXT, trace, type Attributes, type Link, type SpanContext } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  SamplingDecision,
  TracerProvider,
  type ReadableSpan,
  type Sampler,
  type SpanLimits,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTraceRequest } from '../../../test/helpers/otlp-protobuf.ts';
import { EndedSpanEncoder, encodeSpan, encodeTraceRequest } from '../src/otlp-span-encoder.ts';
import { OtlpWriter } from '../src/otlp-writer.ts';

const text = fc.oneof(
  fc.string({ maxLength: 16 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('\ud800', '\udfff', 'a', 'é', '😀', '中'), maxLength: 8 }),
  fc.string({ minLength: 120, maxLength: 400 }),
);
const integer = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(0, -0, -1, 2 ** 32, -(2 ** 32), 2 ** 53, 2 ** 62, -(2 ** 63), 2 ** 63, 2 ** 64, -(2 ** 64), 1e21),
);
const double = fc.double();
const primitive = fc.oneof(text, integer, double, fc.boolean());
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.array(fc.option(arb, { nil: null, freq: 4 }), { maxLength: 5 });
const { anyValue } = fc.letrec((tie) => ({
  anyValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    primitive,
    nullable(text),
    nullable(integer),
    nullable(double),
    nullable(fc.boolean()),
    fc.uint8Array({ maxLength: 40 }),
    fc.constant(null),
    fc.array(tie('anyValue'), { maxLength: 3 }),
    fc.dictionary(text, tie('anyValue'), { maxKeys: 3 }),
  ),
}));
const attributes = fc.dictionary(text, anyValue, { maxKeys: 12 }) as fc.Arbitrary<Attributes>;
const hexId = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));
const traceState = fc.option(fc.constantFrom('vendor=abc', 'a=1,b=2', 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'), {
  nil: undefined,
});
const spanContext = (states: fc.Arbitrary<string | undefined>): fc.Arbitrary<SpanContext> =>
  fc.record(
    {
      traceId: hexId(16),
      spanId: hexId(8),
      traceFlags: fc.integer({ min: 0, max: 255 }),
      isRemote: fc.option(fc.boolean(), { nil: undefined }),
      traceState: states.map((s) => (s === undefined ? undefined : new TraceState(s))),
    },
    { requiredKeys: ['traceId', 'spanId', 'traceFlags'] },
  );
const hrTime = fc.tuple(fc.integer({ min: 0, max: 2 ** 33 }), fc.integer({ min: 0, max: 999_999_999 }));
const spanSpec = () =>
  fc.record({
    provider: fc.nat(2),
    tracer: fc.nat(2),
    name: text,
    kind: fc.integer({ min: 0, max: 4 }),
    sampled: fc.boolean(),
    parent: fc.oneof(fc.constant(undefined), spanContext(traceState)),
    attributes,
    events: fc.array(fc.record({ name: text, attributes: fc.option(attributes, { nil: undefined }), time: hrTime }), {
      maxLength: 4,
    }),
    links: fc.array(
      fc.record({
        context: spanContext(traceState),
        attributes: fc.option(attributes, { nil: undefined }),
      }),
      {
        maxLength: 3,
      },
    ),
    status: fc.record({ code: fc.integer({ min: 0, max: 2 }), message: fc.option(text, { nil: undefined }) }),
    start: hrTime,
    durationNs: fc.integer({ min: 0, max: 5e9 }),
  });
const limits: fc.Arbitrary<SpanLimits> = fc.record(
  {
    attributeCountLimit: fc.integer({ min: 1, max: 16 }),
    eventCountLimit: fc.integer({ min: 0, max: 4 }),
    linkCountLimit: fc.integer({ min: 0, max: 3 }),
    attributePerEventCountLimit: fc.integer({ min: 0, max: 6 }),
    attributePerLinkCountLimit: fc.integer({ min: 0, max: 6 }),
    attributeValueLengthLimit: fc.integer({ min: 1, max: 60 }),
  },
  { requiredKeys: [] },
);
const providerSpec = () =>
  fc.record({
    attributes: fc.dictionary(text, primitive, { maxKeys: 8 }),
    schemaUrl: fc.option(fc.constantFrom('https://opentelemetry.io/schemas/1.30.0', ''), { nil: undefined }),
    limits,
  });

type Generated<A> = A extends fc.Arbitrary<infer T> ? T : never;

const noopProcessor: SpanProcessor = {
  onStart: () => undefined,
  onEnd: () => undefined,
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};

/** Real SDK spans: providers with their own resource and limits, tracers with versions and schema URLs. */
function recordSpans(
  providers: Generated<ReturnType<typeof providerSpec>>[],
  specs: Generated<ReturnType<typeof spanSpec>>[],
): { spans: ReadableSpan[]; close: () => Promise<void> } {
  const spans: ReadableSpan[] = [];
  let sampled = true;
  const sampler: Sampler = {
    shouldSample: () => ({ decision: sampled ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.RECORD }),
    toString: () => 'test',
  };
  const collector: SpanProcessor = {
    onStart: () => undefined,
    onEnd: (span) => void spans.push(span),
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
  const made = providers.map(
    (p) =>
      new TracerProvider({
        resource: resourceFromAttributes(p.attributes, { schemaUrl: p.schemaUrl }),
        spanLimits: p.limits,
        sampler,
        spanProcessors: [collector],
      }),
  );
  const tracers = made.map((provider) => [
    provider.getTracer('svc'),
    provider.getTracer('@service-runtime/ü-scope', '1.2.3'),
    provider.getTracer('schema', '0.1.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.28.0' }),
  ]);
  for (const s of specs) {
    sampled = s.sampled;
    const tracer = tracers[s.provider % made.length]![s.tracer]!;
    const context = s.parent ? trace.setSpanContext(ROOT_CONTEXT, s.parent) : ROOT_CONTEXT;
    const [first, ...rest] = s.links as Link[];
    const span = tracer.startSpan(
      s.name,
      { kind: s.kind, attributes: s.attributes, links: first ? [first] : [], startTime: s.start },
      context,
    );
    for (const event of s.events) span.addEvent(event.name, event.attributes, event.time);
    span.addLinks(rest);
    span.setStatus({ code: s.status.code, message: s.status.message });
    const endNs = s.start[1] + s.durationNs;
    span.end([s.start[0] + Math.floor(endNs / 1e9), endNs % 1e9]);
  }
  return { spans, close: async () => void (await Promise.all(made.map((p) => p.shutdown()))) };
}

/** What the repository's test decoder makes of a request body (or the error it stops at). */
function decoded(body: Uint8Array): unknown {
  try {
    return decodeTraceRequest(body);
  } catch (error) {
    return { error: String(error) };
  }
}

function expectSameAsSdk(spans: ReadableSpan[], mustDecode: boolean): void {
  const sdk = ProtobufTraceSerializer.serializeRequest(spans)!;
  const ours = encodeTraceRequest(spans);
  const mine = decoded(ours);
  if (mustDecode) expect(mine).toBeInstanceOf(Array);
  expect(mine).toEqual(decoded(sdk));
  expect(Buffer.from(ours).equals(Buffer.from(sdk))).toBe(true);
  // Spans encoded when they ended (what the batch processor queues), alone and mixed with SDK spans.
  const atEnd = encodeTraceRequest(spans.map(encodeSpan));
  expect(Buffer.from(atEnd).equals(Buffer.from(sdk))).toBe(true);
  const mixed = encodeTraceRequest(spans.map((span, i) => (i % 2 === 1 ? encodeSpan(span) : span)));
  expect(Buffer.from(mixed).equals(Buffer.from(sdk))).toBe(true);
}

describe('encodeTraceRequest', () => {
  it('encodes any SDK spans to the same bytes as the SDK protobuf serializer, and both decode', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(providerSpec(), { minLength: 1, maxLength: 3 }),
        fc.array(spanSpec(), { minLength: 1, maxLength: 12 }),
        async (providers, specs) => {
          const { spans, close } = recordSpans(providers, specs);
          try {
            expectSameAsSdk(spans, true);
          } finally {
            await close();
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('matches the SDK when lengths need 2 to 4 varint bytes (large spans, large requests)', async () => {
    const spans: ReadableSpan[] = [];
    const provider = new TracerProvider({
      spanProcessors: [{ ...noopProcessor, onEnd: (span) => void spans.push(span) }],
    });
    const tracer = provider.getTracer('big', '1.0.0');
    for (let i = 0; i < 160; i++) {
      const size = [10, 200, 20_000, 80_000][i % 4]!;
      const span = tracer.startSpan(`span ${i}`, { attributes: { blob: 'x'.repeat(size), ü: 'é'.repeat(size >> 3) } });
      span.addEvent('e', { text: 'y'.repeat(size >> 2) });
      span.end();
    }
    expectSameAsSdk(spans, true);
    expect(encodeTraceRequest(spans).length).toBeGreaterThan(2 ** 21);
    await provider.shutdown();
  });

  it('matches the SDK for scope attributes, and returned bytes survive the next call', async () => {
    const spans: ReadableSpan[] = [];
    const provider = new TracerProvider({
      spanProcessors: [{ ...noopProcessor, onEnd: (span) => void spans.push(span) }],
    });
    provider.getTracer('a', '1').startSpan('one').end();
    const scope = { name: 'a', version: '1', attributes: { 'scope.k': [1, 2] }, droppedAttributesCount: 3 };
    const withScopeAttributes = Object.assign(Object.create(spans[0]!) as ReadableSpan, {
      instrumentationScope: scope,
    });
    expectSameAsSdk([withScopeAttributes, spans[0]!], true);

    const first = encodeTraceRequest(spans);
    const copy = Buffer.from(first);
    provider
      .getTracer('b')
      .startSpan('two', { attributes: { k: 'v'.repeat(500) } })
      .end();
    encodeTraceRequest(spans);
    expect(Buffer.from(first).equals(copy)).toBe(true);
    await provider.shutdown();
  });
});

describe('EndedSpanEncoder', () => {
  it('keeps each span as a view of a small slab that later spans never overwrite; large spans get their own bytes', async () => {
    const spans: ReadableSpan[] = [];
    const provider = new TracerProvider({
      spanProcessors: [{ ...noopProcessor, onEnd: (span) => void spans.push(span) }],
    });
    const tracer = provider.getTracer('slabs', '1.0.0');
    // Sizes from a few bytes to past the slab, so spans fill slabs, cross into new ones and outgrow them.
    const sizes = [0, 40, 900, 1900, 2100, 5000, 31_000, 40_000, 70_000];
    for (let i = 0; i < 400; i++) {
      tracer.startSpan(`span ${i}`, { attributes: { pad: 'x'.repeat(sizes[(i * 7) % sizes.length]!), i } }).end();
    }
    const encoder = new EndedSpanEncoder();
    const encoded = spans.map((span) => encoder.encode(span));
    const copies = encoded.map((span) => Buffer.from(span.encoded));
    for (let i = 0; i < 50; i++) encoder.encode(spans[i]!);
    encoded.forEach((span, i) => expect(Buffer.from(span.encoded).equals(copies[i]!)).toBe(true));
    for (const span of encoded) {
      const backing = span.encoded.buffer.byteLength;
      // A span pins at most one 32 KiB slab, or exactly its own bytes when it did not fit in one.
      expect(backing <= 32 * 1024 || backing === span.encoded.length).toBe(true);
    }
    expect(encoded.some((span) => span.encoded.buffer.byteLength === span.encoded.length)).toBe(true);
    expect(new Set(encoded.map((span) => span.encoded.buffer)).size).toBeGreaterThan(10);
    const sdk = ProtobufTraceSerializer.serializeRequest(spans)!;
    expect(Buffer.from(encodeTraceRequest(encoded)).equals(Buffer.from(sdk))).toBe(true);
    await provider.shutdown();
  });
});

describe('attribute name cache', () => {
  it('matches the SDK for names seen before, and past its bound of 2048 names, whatever the names', async () => {
    const names = fc.uniqueArray(
      fc.oneof(
        text,
        fc.constantFrom('', '\ud800', '\udfff', 'é', '😀', 'http.request.method', 'x'.repeat(300)),
        fc.string({ minLength: 128, maxLength: 600 }),
      ),
      { minLength: 1, maxLength: 24 },
    );
    await fc.assert(
      fc.asyncProperty(names, names, async (early, late) => {
        const spans: ReadableSpan[] = [];
        const provider = new TracerProvider({
          spanProcessors: [{ ...noopProcessor, onEnd: (span) => void spans.push(span) }],
        });
        const tracer = provider.getTracer('keys');
        const span = (attributes: Attributes) => tracer.startSpan('s', { attributes }).end();
        const valued = (keys: string[]) => Object.fromEntries(keys.map((key, i) => [key, i % 2 ? key : i]));
        // Early names are cached; 2,100 fillers fill the cache past its bound; late names then miss it.
        span(valued(early));
        for (let i = 0; i < 2100; i += 100) span(valued(Array.from({ length: 100 }, (_, k) => `filler.${i + k}`)));
        span(valued(late));
        span(valued([...late, ...early]));
        const encoder = new EndedSpanEncoder();
        const atEnd = encodeTraceRequest(spans.map((ended) => encoder.encode(ended)));
        const sdk = ProtobufTraceSerializer.serializeRequest(spans)!;
        expect(Buffer.from(atEnd).equals(Buffer.from(sdk))).toBe(true);
        await provider.shutdown();
      }),
      { numRuns: 15 },
    );
  });
});

describe('OtlpWriter.double', () => {
  it('writes IEEE 754 doubles little-endian, the protobuf wire order, whatever the host order', () => {
    const writer = new OtlpWriter();
    for (const value of [1.5, -0.1, Number.MAX_VALUE, Number.MIN_VALUE, Number.NaN, -Infinity]) {
      writer.reset();
      writer.double(value);
      const expected = new Uint8Array(8);
      new DataView(expected.buffer).setFloat64(0, value, true);
      expect(writer.copy()).toEqual(expected);
    }
    writer.reset();
    writer.double(1.5);
    expect([...writer.copy()]).toEqual([0, 0, 0, 0, 0, 0, 0xf8, 0x3f]);
  });
});
