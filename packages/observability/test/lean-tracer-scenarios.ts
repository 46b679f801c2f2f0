/**
 * Scenarios the differential test drives through the SDK's TracerProvider and the lean one alike:
 * each uses only the API, with the clock advanced between steps by `tick`.
 */
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { suppressTracing, TraceState } from '@opentelemetry/core';

/** One scenario: starts spans with `tracer`, returns every span it started (recorded or not). */
export type Scenario = (tracer: Tracer, tick: (ms: number) => void) => Span[];

const remoteParent = (sampled: boolean, state?: string): Context =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
    ...(state === undefined ? {} : { traceState: new TraceState(state) }),
  });

/** Values of every kind an instrumentation might pass, valid and not. */
export const MIXED_ATTRIBUTES = {
  str: 'a string longer than the limit',
  short: 'ab',
  int: 42,
  neg: -7,
  float: 3.25,
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  negZero: -0,
  yes: true,
  no: false,
  strings: ['one', 'two-long-value', 'three'],
  numbers: [1, 2.5, -3],
  mixed: ['a', 1, true],
  withNulls: ['a', null, undefined, 'b'],
  nested: { inner: 'value-long', list: [1, 'x'], deep: { k: true } },
  bytes: new Uint8Array([1, 2, 3, 4, 5, 6, 7]),
  nothing: null,
  missing: undefined,
  '': 'empty key',
  date: new Date(0),
  fn: () => 1,
  sym: Symbol('s'),
  big: 10n,
  map: new Map([['a', 1]]),
} as unknown as Attributes;

// Made once, so both runs record the same stack traces.
const TYPE_ERROR = new TypeError('bad type');
const CODED_ERROR = Object.assign(new Error('with code'), { code: 'ECONNRESET' });
const TIMED_ERROR = new Error('timed');
const LATE_ERROR = new Error('late');

export const SCENARIOS: Record<string, Scenario> = {
  'attributes of every type, at start and set later'(tracer, tick) {
    const span = tracer.startSpan('attrs', { attributes: MIXED_ATTRIBUTES, kind: SpanKind.SERVER });
    tick(1);
    span.setAttribute('later', 'set after start, long enough to cut');
    span.setAttribute('int', 43);
    span.setAttribute('undefinedValue', undefined as unknown as string);
    span.setAttribute('', 'x');
    span.setAttributes(MIXED_ATTRIBUTES);
    span.setAttributes({ arr: ['x', 'y'], obj: { a: 1 } as unknown as string, bad: (() => 1) as unknown as string });
    for (let i = 0; i < 8; i++) span.setAttribute(`extra.${i}`, i);
    span.end();
    return [span];
  },

  'a few attributes within the limits'(tracer, tick) {
    const span = tracer.startSpan('few', {
      attributes: { 'http.request.method': 'GET', 'url.path': '/users/12345', 'server.port': 8080 },
    });
    span.setAttribute('http.route', '/users/:id');
    span.setAttribute('http.response.status_code', 200);
    tick(2);
    span.end();
    return [span];
  },

  'events with attributes, times and the count limit'(tracer, tick) {
    const span = tracer.startSpan('events');
    span.addEvent('plain');
    tick(1);
    span.addEvent('with attributes', {
      a: 'value-too-long',
      n: 1,
      bad: { nested: 1 } as unknown as string,
      list: [1, 2],
    });
    span.addEvent('with mixed list', { mixed: ['a', 1] as unknown as string[], nil: null as unknown as string });
    span.addEvent('time as second', [1_700_000_000, 5]);
    span.addEvent('attrs and epoch ms', { k: 'v' }, 1_700_000_000_123);
    span.addEvent('date', new Date(1_700_000_000_456));
    span.addEvent('performance ms', performance.now());
    span.addEvent('time twice', 1_700_000_000_001, 1_700_000_000_002);
    for (let i = 0; i < 5; i++) span.addEvent(`e${i}`, { i });
    span.end();
    return [span];
  },

  'links at start and added, with the count limit'(tracer) {
    const target = trace.getSpanContext(remoteParent(true, 'k=v'))!;
    const span = tracer.startSpan('links', {
      links: [
        { context: target },
        { context: target, attributes: { a: 1, b: 'long-link-value', bad: (() => 1) as unknown as string } },
        { context: { ...target, spanId: '00f067aa0ba902b7' }, attributes: {} },
        { context: target, attributes: { one: 1, two: 2, three: 3, four: 4, five: 5 } },
      ],
    });
    span.addLink({ context: target, attributes: { later: true } });
    tracer.startSpan('null links and attributes', { links: null, attributes: null } as never).end();
    span.addLinks([{ context: target }, { context: target, attributes: { x: 'y' } }]);
    span.end();
    return [span];
  },

  'exceptions of every shape'(tracer, tick) {
    const span = tracer.startSpan('exceptions');
    span.recordException(TYPE_ERROR);
    span.recordException(CODED_ERROR);
    span.recordException({ code: 503, message: 'numeric code' } as unknown as Error);
    span.recordException('just a string');
    span.recordException({ name: 'OnlyName' });
    span.recordException({} as Error);
    tick(3);
    span.recordException(TIMED_ERROR, [1_700_000_001, 0]);
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
    span.end();
    return [span];
  },

  'status sequences'(tracer) {
    const spans: Span[] = [];
    const a = tracer.startSpan('error then ok then error');
    a.setStatus({ code: SpanStatusCode.ERROR, message: 'first' });
    a.setStatus({ code: SpanStatusCode.UNSET });
    a.setStatus({ code: SpanStatusCode.OK, message: 'ignored message' });
    a.setStatus({ code: SpanStatusCode.ERROR, message: 'after ok' });
    spans.push(a);
    const b = tracer.startSpan('error without a string message');
    b.setStatus({ code: SpanStatusCode.ERROR, message: 42 as unknown as string });
    b.setStatus({ code: SpanStatusCode.ERROR });
    spans.push(b);
    const c = tracer.startSpan('unset only');
    c.setStatus({ code: SpanStatusCode.UNSET, message: 'x' });
    spans.push(c);
    for (const span of spans) span.end();
    return spans;
  },

  'updateName and explicit times'(tracer, tick) {
    const spans: Span[] = [];
    const hr = tracer.startSpan('hr', { startTime: [1_700_000_000, 100] });
    hr.updateName('hr renamed');
    tick(4);
    hr.end([1_700_000_002, 50]);
    spans.push(hr);
    const epoch = tracer.startSpan('epoch', { startTime: 1_700_000_000_000 });
    tick(2);
    epoch.end();
    spans.push(epoch);
    const perf = tracer.startSpan('perf', { startTime: performance.now() });
    tick(2);
    perf.end(performance.now());
    spans.push(perf);
    const date = tracer.startSpan('date', { startTime: new Date(1_700_000_000_500) });
    date.end(new Date(1_700_000_000_400));
    spans.push(date);
    const implicit = tracer.startSpan('implicit');
    tick(7);
    implicit.end();
    spans.push(implicit);
    const bad = tracer.startSpan('bad time', { startTime: 'soon' as unknown as number });
    bad.end();
    spans.push(bad);
    return spans;
  },

  'parents: local, remote, root and suppressed'(tracer) {
    const spans: Span[] = [];
    tracer.startActiveSpan('local parent', (parent) => {
      const child = tracer.startSpan('local child', { kind: SpanKind.CLIENT });
      const root = tracer.startSpan('root despite parent', { root: true });
      const nested = tracer.startActiveSpan('active child', { kind: SpanKind.PRODUCER }, (span) => {
        span.end();
        return span;
      });
      child.end();
      root.end();
      parent.end();
      spans.push(parent, child, root, nested);
    });
    for (const [sampled, state] of [
      [true, 'rojo=00f067aa0ba902b7'],
      [false, 'congo=t61'],
      [true, undefined],
    ] as const) {
      const span = tracer.startSpan('remote child', { kind: SpanKind.CONSUMER }, remoteParent(sampled, state));
      span.end();
      spans.push(span);
    }
    const invalid = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0'.repeat(32),
      spanId: '0'.repeat(16),
      traceFlags: 1,
    });
    spans.push(tracer.startSpan('invalid parent', {}, invalid));
    spans.push(tracer.startSpan('suppressed', {}, suppressTracing(remoteParent(true))));
    const inContext = tracer.startActiveSpan('four-argument form', {}, remoteParent(true), (span) => span);
    spans.push(inContext);
    for (const span of spans) span.end();
    return spans;
  },

  'many roots (ratio samplers see different trace ids)'(tracer) {
    const spans: Span[] = [];
    for (let i = 0; i < 40; i++) {
      const span = tracer.startSpan(`root ${i}`, { attributes: { i } }, ROOT_CONTEXT);
      context.with(trace.setSpan(ROOT_CONTEXT, span), () => {
        const child = tracer.startSpan(`child ${i}`);
        child.end();
        spans.push(child);
      });
      span.end();
      spans.push(span);
    }
    return spans;
  },

  'end twice and mutation after the end'(tracer, tick) {
    const span = tracer.startSpan('ended', { attributes: { before: 1 } });
    span.end();
    tick(5);
    span.end();
    span.setAttribute('after', 1);
    span.setAttributes({ after2: 2 });
    span.addEvent('after');
    span.addLink({ context: span.spanContext() });
    span.addLinks([{ context: span.spanContext() }]);
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'late' });
    span.updateName('late name');
    span.recordException(LATE_ERROR);
    return [span];
  },
};
