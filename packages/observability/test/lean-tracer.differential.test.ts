import {
  context,
  SamplingDecision,
  trace,
  type Attributes,
  type Context,
  type Sampler,
  type SpanContext,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type IdGenerator,
  type ReadableSpan,
  type Span,
  type SpanLimits,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LeanTracerProvider } from '../src/lean-tracer-provider.ts';
import { encodeTraceRequest } from '../src/otlp-span-encoder.ts';
import { createSampler } from '../src/sampler.ts';
import { MIXED_ATTRIBUTES, SCENARIOS, type Scenario } from './lean-tracer-scenarios.ts';

/** Ids from a seeded generator: both providers draw the same ids in the same order. */
class SeededIds implements IdGenerator {
  #state = 0x9e3779b9;
  generateTraceId(): string {
    return this.#hex(4);
  }
  generateSpanId(): string {
    return this.#hex(2);
  }
  #hex(words: number): string {
    let out = '';
    for (let i = 0; i < words; i++) {
      // xorshift32
      let x = this.#state;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.#state = x >>> 0;
      out += this.#state.toString(16).padStart(8, '0');
    }
    return out;
  }
}

/** Records the order of processor calls and what each saw. */
class CallLog implements SpanProcessor {
  readonly calls: unknown[] = [];
  onStart(span: Span, parent: Context): void {
    this.calls.push(['start', span.name, span.isRecording(), trace.getSpanContext(parent)?.spanId, span.attributes]);
  }
  onEnding(span: Span): void {
    this.calls.push(['ending', span.name, span.ended, span.isRecording()]);
  }
  onEnd(span: ReadableSpan): void {
    this.calls.push(['end', span.name, span.ended]);
  }
  forceFlush = () => Promise.resolve();
  shutdown = () => Promise.resolve();
}

const customSampler: Sampler = {
  shouldSample(_ctx, traceId, name, _kind, attributes, links) {
    const odd = parseInt(traceId.slice(-1), 16) % 2 === 1;
    return {
      decision: odd ? SamplingDecision.RECORD : SamplingDecision.RECORD_AND_SAMPLED,
      attributes: {
        'sampler.name': name,
        'sampler.saw': Object.keys(attributes).length,
        'sampler.links': links.length,
        'sampler.long': 'a value longer than any tight limit',
        'sampler.invalid': (() => 1) as unknown as string,
        str: 'overridden by the sampler',
      },
      traceState: new TraceState('sampler=yes'),
    };
  },
  toString: () => 'custom',
};
const notRecording: Sampler = {
  shouldSample: () => ({ decision: SamplingDecision.NOT_RECORD, traceState: new TraceState('dropped=1') }),
};

const SAMPLERS: Record<string, () => Sampler | undefined> = {
  default: () => undefined,
  'always on': () => new AlwaysOnSampler(),
  'always off': () => new AlwaysOffSampler(),
  'parent-based always off': () => new ParentBasedSampler({ root: new AlwaysOffSampler() }),
  'ratio 0.3': () => new TraceIdRatioBasedSampler(0.3),
  'createSampler parentbased_traceidratio 0.5': () => createSampler({ name: 'parentbased_traceidratio', ratio: 0.5 }),
  'custom with attributes and trace state': () => customSampler,
  'custom not recording with trace state': () => notRecording,
};

const LIMITS: Record<string, SpanLimits> = {
  defaults: {},
  tight: {
    attributeCountLimit: 6,
    attributeValueLengthLimit: 5,
    eventCountLimit: 3,
    linkCountLimit: 2,
    attributePerEventCountLimit: 2,
    attributePerLinkCountLimit: 2,
  },
  zero: { attributeCountLimit: 0, attributeValueLengthLimit: 0, eventCountLimit: 0, linkCountLimit: 0 },
};

const resource = resourceFromAttributes({ 'service.name': 'differential' });
type Provider = {
  getTracer(name: string, version?: string): import('@opentelemetry/api').Tracer;
  shutdown(): Promise<void>;
};
type ProviderFactory = (options: {
  sampler?: Sampler;
  spanLimits: SpanLimits;
  spanProcessors: SpanProcessor[];
}) => Provider;

const sdk: ProviderFactory = ({ sampler, ...options }) =>
  new TracerProvider({ resource, idGenerator: new SeededIds(), ...options, ...(sampler ? { sampler } : {}) });
const lean: ProviderFactory = ({ sampler, ...options }) =>
  new LeanTracerProvider({ resource, idGenerator: new SeededIds(), ...options, ...(sampler ? { sampler } : {}) });

const contextView = (ctx: SpanContext | undefined) =>
  ctx && {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    traceFlags: ctx.traceFlags,
    isRemote: ctx.isRemote,
    traceState: ctx.traceState?.serialize(),
  };

function view(span: ReadableSpan) {
  return {
    name: span.name,
    kind: span.kind,
    spanContext: contextView(span.spanContext()),
    parentSpanContext: contextView(span.parentSpanContext),
    startTime: span.startTime,
    endTime: span.endTime,
    duration: span.duration,
    ended: span.ended,
    status: span.status,
    attributes: span.attributes,
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events,
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((link) => ({ ...link, context: contextView(link.context) })),
    droppedLinksCount: span.droppedLinksCount,
    instrumentationScope: { ...span.instrumentationScope },
    sameResource: span.resource === resource,
  };
}

/** Runs a scenario on a fresh provider under a fake clock that starts at the same instant each time. */
function run(factory: ProviderFactory, scenario: Scenario, sampler: Sampler | undefined, spanLimits: SpanLimits) {
  vi.useFakeTimers({ toFake: ['Date', 'performance'], now: 1_700_000_000_000 });
  try {
    const exporter = new InMemorySpanExporter();
    const log = new CallLog();
    const provider = factory({ sampler, spanLimits, spanProcessors: [log, new SimpleSpanProcessor({ exporter })] });
    const tracer = provider.getTracer('differential', '1.2.3');
    const started = scenario(tracer, (ms) => vi.advanceTimersByTime(ms)).map((span) => ({
      recording: span.isRecording(),
      context: contextView(span.spanContext()),
    }));
    const finished = exporter.getFinishedSpans();
    return {
      started,
      calls: log.calls,
      spans: finished.map(view),
      otlp: Buffer.from(encodeTraceRequest(finished)),
      // What the SDK's own OTLP exporters send (gRPC and http/protobuf, http/json) for the same spans.
      sdkProtobuf: Buffer.from(ProtobufTraceSerializer.serializeRequest(finished) ?? []),
      sdkJson: Buffer.from(JsonTraceSerializer.serializeRequest(finished) ?? []),
    };
  } finally {
    vi.useRealTimers();
  }
}

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

describe('the lean tracer records what the SDK records', () => {
  for (const [scenarioName, scenario] of Object.entries(SCENARIOS)) {
    for (const [samplerName, makeSampler] of Object.entries(SAMPLERS)) {
      for (const [limitsName, limits] of Object.entries(LIMITS)) {
        it(`${scenarioName} · ${samplerName} · ${limitsName} limits`, () => {
          const sampler = makeSampler();
          const expected = run(sdk, scenario, sampler, limits);
          const actual = run(lean, scenario, sampler, limits);
          expect(actual.started).toStrictEqual(expected.started);
          expect(actual.spans).toStrictEqual(expected.spans);
          expect(actual.calls).toStrictEqual(expected.calls);
          expect(actual.otlp.equals(expected.otlp)).toBe(true);
          expect(actual.sdkProtobuf.equals(expected.sdkProtobuf)).toBe(true);
          expect(actual.sdkJson.toString()).toBe(expected.sdkJson.toString());
          expect(actual.sdkProtobuf.equals(actual.otlp)).toBe(true);
        });
      }
    }
  }

  it('the scenarios record something worth comparing', () => {
    const { spans, sdkJson } = run(
      lean,
      SCENARIOS['attributes of every type, at start and set later']!,
      undefined,
      LIMITS.tight!,
    );
    expect(JSON.parse(sdkJson.toString()).resourceSpans[0].scopeSpans[0].spans).toHaveLength(1);
    expect(spans[0]?.droppedAttributesCount).toBeGreaterThan(0);
    expect(spans[0]?.attributes.str).toBe('a str');
  });

  it('random attributes, valid or not, under random limits', () => {
    const value = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constantFrom(null, undefined, -0, Number.NaN, 10n, Symbol.for('s'), () => 1, new Date(0)),
      fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant(null)), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), { maxKeys: 3 }),
      fc.uint8Array({ maxLength: 8 }),
    );
    const record = fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 10 }) as fc.Arbitrary<Attributes>;
    const limit = fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined });
    const limits = fc.record({
      attributeCountLimit: limit,
      attributeValueLengthLimit: limit,
      eventCountLimit: limit,
      linkCountLimit: limit,
      attributePerEventCountLimit: limit,
      attributePerLinkCountLimit: limit,
    });
    fc.assert(
      fc.property(record, record, record, limits, fc.boolean(), (start, later, other, spanLimits, custom) => {
        const scenario: Scenario = (tracer) => {
          const span = tracer.startSpan('random', {
            attributes: start,
            links: [{ context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 }, attributes: other }],
          });
          span.setAttributes(later);
          for (const [key, item] of Object.entries(other)) span.setAttribute(key, item as string);
          span.addEvent('event', other);
          span.addLink({ context: span.spanContext(), attributes: later });
          span.end();
          return [span];
        };
        const sampler = custom ? customSampler : undefined;
        const expected = run(sdk, scenario, sampler, spanLimits);
        const actual = run(lean, scenario, sampler, spanLimits);
        expect(actual.spans).toStrictEqual(expected.spans);
        expect(actual.otlp.equals(expected.otlp)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps the mixed attribute fixture free of accidental validity', () => {
    expect(Object.keys(MIXED_ATTRIBUTES).length).toBeGreaterThan(20);
  });
});
