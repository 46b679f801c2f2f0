import { describe, expect, it } from 'vitest';
import type { OtlpLogRecord, OtlpSpan } from '../src/otlp-types.ts';
import { TraceStore } from '../src/trace-store.ts';

let next = 1;
const id = (length: number) => (next++).toString(16).padStart(length, '0');

function span(traceId: string, fields: Partial<OtlpSpan> = {}): OtlpSpan {
  return {
    traceId,
    spanId: id(16),
    parentSpanId: '',
    traceState: '',
    name: 'GET /',
    kind: 2,
    startTimeUnixNano: 1_000n,
    endTimeUnixNano: 2_000n,
    attributes: {},
    events: [],
    links: [],
    status: { code: 0, message: '' },
    resource: { 'service.name': 'gateway' },
    scope: 'test',
    ...fields,
  };
}

function log(traceId: string, spanId: string): OtlpLogRecord {
  const base = { severityNumber: 9, severityText: 'INFO', attributes: {}, resource: {}, scope: '' };
  return { traceId, spanId, timeUnixNano: 1_500n, body: 'hello', ...base };
}

describe('TraceStore', () => {
  it('lists traces newest first with root name, services, span count, duration and error mark', () => {
    const store = new TraceStore();
    const [older, newer] = [id(32), id(32)];
    const root = span(older, { name: 'POST /orders', startTimeUnixNano: 100n, endTimeUnixNano: 900n });
    store.addSpans([
      span(older, { name: 'process order.created', parentSpanId: root.spanId, resource: { 'service.name': 'worker' } }),
      root,
      span(newer, { startTimeUnixNano: 5_000n, endTimeUnixNano: 5_010n, status: { code: 2, message: 'x' } }),
    ]);
    expect(store.list().map((t) => [t.traceId, t.rootName, t.services, t.spanCount, t.durationNanos, t.error])).toEqual(
      [
        [newer, 'GET /', ['gateway'], 1, 10n, true],
        [older, 'POST /orders', ['gateway', 'worker'], 2, 1_900n, false],
      ],
    );
  });

  it('lists a trace as it is now after more spans and logs arrived', () => {
    const store = new TraceStore();
    const t = id(32);
    const root = span(t, { name: 'POST /orders' });
    store.addSpans([root]);
    expect(store.list()[0]).toMatchObject({ spanCount: 1, logCount: 0, error: false });
    store.addSpans([span(t, { parentSpanId: root.spanId, status: { code: 2, message: '' }, endTimeUnixNano: 9_000n })]);
    store.addLogs([log(t, root.spanId)]);
    expect(store.list()[0]).toMatchObject({ spanCount: 2, logCount: 1, error: true, durationNanos: 8_000n });
  });

  it('filters by service, by error and by text in span names, services and the trace id', () => {
    const store = new TraceStore();
    const [a, b] = [id(32), id(32)];
    store.addSpans([
      span(a, { name: 'POST /invoices', resource: { 'service.name': 'billing' } }),
      span(b, { status: { code: 2, message: '' } }),
    ]);
    const ids = (filter: Parameters<TraceStore['list']>[0]) => store.list(filter).map((t) => t.traceId);
    expect(ids({ service: 'billing' })).toEqual([a]);
    expect(ids({ errorsOnly: true })).toEqual([b]);
    expect(ids({ text: 'INVOICES' })).toEqual([a]);
    expect(ids({ text: b.slice(-6) })).toEqual([b]);
    expect(ids({ text: 'nothing like it' })).toEqual([]);
    expect(store.services()).toEqual(['billing', 'gateway']);
  });

  it('evicts the least recently updated trace past maxTraces and counts it', () => {
    const store = new TraceStore({ maxTraces: 2 });
    const [a, b, c] = [id(32), id(32), id(32)];
    store.addSpans([span(a)]);
    store.addSpans([span(b)]);
    store.addLogs([log(a, id(16))]); // a is touched again: b is now the oldest
    store.addSpans([span(c)]);
    expect(store.get(b)).toBeUndefined();
    expect(store.get(a)).toBeDefined();
    expect(store.stats()).toMatchObject({ traces: 2, evictedTraces: 1 });
    expect(store.services()).toEqual(['gateway']);
    store.addSpans([span(c, { resource: { 'service.name': 'worker' } })]);
    store.addSpans([span(id(32))]); // a goes, c is the only worker trace left
    expect(store.services()).toEqual(['gateway', 'worker']);
    store.addSpans([span(id(32))]); // c goes: no worker span is held any more
    expect(store.services()).toEqual(['gateway']);
  });

  it('keeps at most maxSpansPerTrace spans and maxLogsPerTrace logs per trace, counting the rest', () => {
    const store = new TraceStore({ maxSpansPerTrace: 2, maxLogsPerTrace: 1 });
    const t = id(32);
    const first = span(t);
    store.addSpans([first, span(t), span(t)]);
    store.addSpans([{ ...first, name: 'renamed' }]); // a span seen again replaces its copy
    store.addLogs([log(t, first.spanId), log(t, first.spanId), log('', '')]);
    expect(store.get(t)!.spans.size).toBe(2);
    expect(store.get(t)!.spans.get(first.spanId)!.name).toBe('renamed');
    store.addSpans([{ ...first, resource: { 'service.name': 'moved' } }]); // its service changes too
    expect(store.services()).toEqual(['gateway', 'moved']);
    expect(store.get(t)!.logs).toHaveLength(1);
    expect(store.stats()).toMatchObject({ droppedSpans: 1, droppedLogs: 1, untracedLogs: 1 });
  });

  it('evicts the oldest traces past maxSpans or maxLogs in all, never the trace receiving', () => {
    const store = new TraceStore({ maxSpans: 3, maxLogs: 1 });
    const [a, b, c] = [id(32), id(32), id(32)];
    store.addSpans([span(a), span(a)]);
    store.addSpans([span(b), span(b)]); // 4 spans held: a goes
    expect([store.get(a), store.get(b)?.spans.size]).toEqual([undefined, 2]);
    store.addSpans([span(b), span(b)]); // b alone past the limit: kept whole, it is receiving
    expect(store.get(b)?.spans.size).toBe(4);
    store.addLogs([log(c, id(16))]); // c is new: b (4 spans) goes
    expect([store.get(b), store.get(c)?.logs.length]).toEqual([undefined, 1]);
    const d = id(32);
    store.addLogs([log(d, id(16))]); // 2 log records held: c goes
    expect([store.get(c), store.get(d)?.logs.length]).toEqual([undefined, 1]);
    expect(store.stats()).toMatchObject({ traces: 1, evictedTraces: 3, droppedSpans: 0, droppedLogs: 0 });
  });

  it('knows which spans link to a span, and forgets them with their evicted trace', () => {
    const store = new TraceStore({ maxTraces: 2 });
    const [producerTrace, consumerTrace, later] = [id(32), id(32), id(32)];
    const producer = span(producerTrace, { name: 'publish order.billed' });
    const consumer = span(consumerTrace, {
      links: [{ traceId: producerTrace, spanId: producer.spanId, attributes: {} }],
    });
    store.addSpans([producer]);
    const changed: string[][] = [];
    store.subscribe((ids) => changed.push(ids));
    store.addSpans([consumer]);
    expect(changed).toEqual([[consumerTrace, producerTrace]]); // a live page of the producer shows the new link
    expect(store.linksTo(producerTrace, producer.spanId)).toEqual([consumer]);
    store.addSpans([span(producerTrace)]); // the consumer's trace is now the oldest
    store.addSpans([span(later)]);
    expect(store.get(consumerTrace)).toBeUndefined();
    expect(store.linksTo(producerTrace, producer.spanId)).toEqual([]);
  });

  it('a span sent again with other links is linked only from what it links to now', () => {
    const store = new TraceStore();
    const [targetTrace, otherTrace, consumerTrace] = [id(32), id(32), id(32)];
    const [target, other] = [span(targetTrace), span(otherTrace)];
    const first = span(consumerTrace, { links: [{ traceId: targetTrace, spanId: target.spanId, attributes: {} }] });
    const again = { ...first, links: [{ traceId: otherTrace, spanId: other.spanId, attributes: {} }] };
    store.addSpans([target, other, first, again]);
    expect(store.linksTo(targetTrace, target.spanId)).toEqual([]);
    expect(store.linksTo(otherTrace, other.spanId)).toEqual([again]);
  });

  it('logs dropped by a zero log limit neither create traces nor evict them', () => {
    const perTrace = new TraceStore({ maxTraces: 2, maxLogsPerTrace: 0 });
    const kept = [id(32), id(32)];
    perTrace.addSpans(kept.map((t) => span(t)));
    perTrace.addLogs([log(id(32), id(16)), log(id(32), id(16)), log(kept[0]!, id(16))]);
    expect(perTrace.list().map((t) => t.traceId)).toEqual([...kept].reverse());
    expect(perTrace.get(kept[0]!)?.logs).toEqual([]);

    const none = new TraceStore({ maxLogs: 0 });
    none.addSpans(kept.map((t) => span(t)));
    none.addLogs([log(kept[0]!, id(16))]);
    expect(none.list()).toHaveLength(2);
    expect(none.get(kept[0]!)?.logs).toEqual([]);
  });

  it('tells subscribers which traces changed', () => {
    const store = new TraceStore();
    const seen: string[][] = [];
    const unsubscribe = store.subscribe((ids) => seen.push(ids));
    const t = id(32);
    store.addSpans([span(t), span('not-hex')]);
    unsubscribe();
    store.addSpans([span(t)]);
    expect(seen).toEqual([[t]]);
  });
});
