// natsbus against an independent implementation: a Go peer (nats.go, OpenTelemetry Go, the
// CloudEvents NATS protocol binding 1.0.3 written out by hand) on a real nats-server, core NATS and
// JetStream, both content modes. What docs/wire-contract.md promises to a Go team, tested.
import type { Msg } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus, CloudEvent, ContentMode } from '@service-runtime/natsbus';
import { startFixture, waitFor, type Fixture } from '../../packages/natsbus/test/fixture.ts';
import { buildGoPeer, goPublish, runGoPeer, type PeerLine } from './go-peer.ts';

let fx: Fixture;
let bus: Bus;
let peer: string;
let url: string;
let n = 0;
const STREAM = 'INTEROP';

beforeAll(async () => {
  [fx, peer] = await Promise.all([startFixture({ jetstream: true }), buildGoPeer()]);
  url = fx.server.url;
  bus = await fx.bus({ source: '/natsbus-interop' });
  await bus.ensureStream({ name: STREAM, subjects: ['interop.js.>'], storage: 'memory' });
}, 300_000);
afterAll(async () => fx?.close());

const subjectFor = (what: string) => `interop.${what}.${++n}`;
const traceparentOf = (span: ReadableSpan) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`;

/** The one finished span of `kind` on `subject` (names may change; kind and destination do not). */
function spanOn(kind: SpanKind, subject: string, status = SpanStatusCode.UNSET): Promise<ReadableSpan> {
  return waitFor(() =>
    fx.telemetry
      .spans()
      .find(
        (s) => s.kind === kind && s.attributes['messaging.destination.name'] === subject && s.status.code === status,
      ),
  );
}

async function collect(subject: string, deadLetterSubject?: string): Promise<CloudEvent[]> {
  const received: CloudEvent[] = [];
  bus.subscribe(subject, (event) => void received.push(event), deadLetterSubject ? { deadLetterSubject } : {});
  await bus.flush();
  return received;
}

async function rawOf(subject: string): Promise<Msg[]> {
  const wire: Msg[] = [];
  bus.connection.subscribe(subject, { callback: (_e, msg) => void wire.push(msg) });
  await bus.connection.flush();
  return wire;
}

/** What the Go peer's event looks like once natsbus decoded it. */
function expectGoEvent(event: CloudEvent | undefined, id: string): void {
  expect(event).toMatchObject({
    specversion: '1.0',
    id,
    source: '/go-peer',
    type: 'peer.greeting',
    subject: 'crème brûlée 100%',
    datacontenttype: 'text/plain',
    data: 'hello from Go',
  });
}

/** The Go consumer parsed a valid CloudEvent and found `producer`'s context in all three places. */
function expectGoSawTrace(line: PeerLine, mode: ContentMode, creation: string, producer: ReadableSpan): void {
  expect(line['error']).toBeUndefined();
  expect(line['mode']).toBe(mode);
  expect(line['extension']).toBe(creation);
  const { traceId, spanId } = producer.spanContext();
  expect(line['carrier']).toEqual({ traceId, spanId });
  expect(line['natsGet']).toBe(traceparentOf(producer));
  expect((line['span'] as { traceId: string }).traceId).toBe(traceId);
}

describe('Go publishes, natsbus consumes (core NATS)', () => {
  for (const mode of ['structured', 'binary'] as const) {
    it(`${mode} mode: the event is decoded and the natsbus consumer span continues the Go trace`, async () => {
      const subject = subjectFor(`go-${mode}`);
      const received = await collect(subject);
      const go = await goPublish(peer, ['-url', url, '-subject', subject, '-mode', mode]);
      await waitFor(() => received.length === 1);
      expectGoEvent(received[0], go.id);
      expect(received[0]!.traceparent).toBe(`00-${go.traceId}-${go.spanId}-01`);
      const consumer = await spanOn(SpanKind.CONSUMER, subject);
      expect(consumer.spanContext().traceId).toBe(go.traceId);
      expect(consumer.parentSpanContext?.spanId).toBe(go.spanId);
    });
  }
});

describe('Go forwards, natsbus consumes: the hop context comes from the header OpenTelemetry Go wrote', () => {
  for (const mode of ['structured', 'binary'] as const) {
    it(`${mode} mode: the consumer span is a child of the Traceparent header and links the creation context`, async () => {
      const subject = subjectFor(`go-hop-${mode}`);
      const received = await collect(subject);
      const go = await goPublish(peer, ['-url', url, '-subject', subject, '-mode', mode, '-hop']);
      expect(go.creationSpanId).not.toBe(go.spanId);
      await waitFor(() => received.length === 1);
      expect(received[0]!.traceparent).toBe(`00-${go.traceId}-${go.creationSpanId}-01`);
      const consumer = await spanOn(SpanKind.CONSUMER, subject);
      expect(consumer.spanContext().traceId).toBe(go.traceId);
      expect(consumer.parentSpanContext?.spanId).toBe(go.spanId);
      expect(consumer.links.map((l) => l.context.spanId)).toEqual([go.creationSpanId]);
    });
  }
});

describe('natsbus publishes, Go consumes (core NATS)', () => {
  for (const mode of ['structured', 'binary'] as const) {
    it(`${mode} mode: Go parses a valid CloudEvent and finds the trace in the extension and the headers`, async () => {
      const subject = subjectFor(`ts-${mode}`);
      const go = runGoPeer(peer, 'consume', ['-url', url, '-subject', subject, '-count', '1']);
      await go.line((l) => l['ready'] === true);
      const { id } = await bus.publish(
        subject,
        { type: 'ts.hello', subject: 'ünïcode "quoted" 100%', data: { n: 1 } },
        { contentMode: mode },
      );
      const line = await go.line((l) => 'mode' in l);
      await go.done;
      const producer = await spanOn(SpanKind.PRODUCER, subject);
      expectGoSawTrace(line, mode, traceparentOf(producer), producer);
      const event = line['event'] as Record<string, unknown>;
      expect(event).toMatchObject({
        specversion: '1.0',
        id,
        source: '/natsbus-interop',
        type: 'ts.hello',
        subject: 'ünïcode "quoted" 100%',
      });
      if (mode === 'binary') {
        expect(event['datacontenttype']).toBe('application/json');
        expect(JSON.parse(event['data'] as string)).toEqual({ n: 1 });
      } else expect(event['data']).toEqual({ n: 1 });
    });
  }
});

describe('forward Go → natsbus → Go (core NATS)', () => {
  it('keeps the Go creation context in the extension; the hop headers carry the natsbus forward', async () => {
    const inbound = subjectFor('fw-in');
    const outbound = subjectFor('fw-out');
    const go = runGoPeer(peer, 'consume', ['-url', url, '-subject', outbound, '-count', '1']);
    await go.line((l) => l['ready'] === true);
    bus.subscribe(inbound, async (event) => {
      await bus.publish(outbound, { ...event, type: 'peer.forwarded' }, { contentMode: 'binary' });
    });
    await bus.flush();
    const origin = await goPublish(peer, ['-url', url, '-subject', inbound, '-mode', 'structured']);
    const line = await go.line((l) => 'mode' in l);
    await go.done;
    const forward = await spanOn(SpanKind.PRODUCER, outbound);
    expect(forward.spanContext().traceId).toBe(origin.traceId);
    expectGoSawTrace(line, 'binary', `00-${origin.traceId}-${origin.spanId}-01`, forward);
    expect(line['event']).toMatchObject({ id: origin.id, source: '/go-peer', type: 'peer.forwarded' });
  });
});

describe('a bad Go event (core NATS)', () => {
  for (const mode of ['structured', 'binary'] as const) {
    it(`${mode} mode: dead-lettered unchanged with its reason while the next good one is handled`, async () => {
      const subject = subjectFor(`bad-${mode}`);
      const dlq = subjectFor('dlq');
      const dead = await rawOf(dlq);
      const received = await collect(subject, dlq);
      const go = await goPublish(peer, ['-url', url, '-subject', subject, '-mode', mode, '-bad']);
      await waitFor(() => received.length === 1 && dead.length === 1);
      expectGoEvent(received[0], go.id);
      expect(dead[0]!.headers?.get('Natsbus-Dead-Letter-Reason')).toBe('unsupported_specversion');
      expect(dead[0]!.headers?.get('Natsbus-Dead-Letter-Detail')).toMatch(/specversion/);
      expect(dead[0]!.headers?.get('Natsbus-Original-Subject')).toBe(subject);
      expect(dead[0]!.headers?.get('Natsbus-Original-Consumer')).toBe(subject);
      if (mode === 'structured') expect(dead[0]!.string()).toContain('"specversion":"0.3"');
      else expect(dead[0]!.headers?.get('ce-specversion')).toBe('0.3');
      await spanOn(SpanKind.CONSUMER, subject, SpanStatusCode.ERROR);
    });
  }
});

describe('the same over JetStream', () => {
  for (const mode of ['structured', 'binary'] as const) {
    it(`${mode} mode: Go publishes with a PubAck, natsbus consumes in the Go trace`, async () => {
      const subject = subjectFor(`js.go-${mode}`);
      const received: CloudEvent[] = [];
      await bus.consume({ stream: STREAM, durable: `ts-${n}`, filterSubject: subject }, (e) => void received.push(e));
      const go = await goPublish(peer, ['-url', url, '-subject', subject, '-mode', mode, '-js']);
      await waitFor(() => received.length === 1);
      expectGoEvent(received[0], go.id);
      const consumer = await spanOn(SpanKind.CONSUMER, subject);
      expect(consumer.spanContext().traceId).toBe(go.traceId);
      expect(consumer.parentSpanContext?.spanId).toBe(go.spanId);
    });

    it(`${mode} mode: natsbus publishes with a PubAck, a Go pull consumer parses it and finds the trace`, async () => {
      const subject = subjectFor(`js.ts-${mode}`);
      const { id, seq } = await bus.publish(
        subject,
        { type: 'ts.hello', data: { n: 2 } },
        { jetstream: true, contentMode: mode },
      );
      expect(seq).toBeGreaterThan(0);
      const go = runGoPeer(peer, 'consume', [
        '-url',
        url,
        '-subject',
        subject,
        '-js',
        '-stream',
        STREAM,
        '-durable',
        `go-${n}`,
      ]);
      const line = await go.line((l) => 'mode' in l);
      await go.done;
      const producer = await spanOn(SpanKind.PRODUCER, subject);
      expectGoSawTrace(line, mode, traceparentOf(producer), producer);
      expect(line['event']).toMatchObject({ id, type: 'ts.hello' });
      expect(line['msgId']).toBe(id); // Nats-Msg-Id is the CloudEvent id
    });
  }

  it('forward Go → natsbus → Go keeps the creation context', async () => {
    const inbound = subjectFor('js.fw-in');
    const outbound = subjectFor('js.fw-out');
    await bus.consume({ stream: STREAM, durable: `fw-${n}`, filterSubject: inbound }, async (event) => {
      await bus.publish(outbound, { ...event, type: 'peer.forwarded' }, { jetstream: true });
    });
    const origin = await goPublish(peer, ['-url', url, '-subject', inbound, '-mode', 'binary', '-js']);
    const go = runGoPeer(peer, 'consume', [
      '-url',
      url,
      '-subject',
      outbound,
      '-js',
      '-stream',
      STREAM,
      '-durable',
      `go-fw-${n}`,
    ]);
    const line = await go.line((l) => 'mode' in l);
    await go.done;
    const forward = await spanOn(SpanKind.PRODUCER, outbound);
    expectGoSawTrace(line, 'structured', `00-${origin.traceId}-${origin.spanId}-01`, forward);
    expect(line['event']).toMatchObject({ id: origin.id, type: 'peer.forwarded', data: 'hello from Go' });
  });

  it('a bad Go event is dead-lettered while the next good one is handled', async () => {
    const subject = subjectFor('js.bad');
    const dlq = subjectFor('dlq');
    const dead = await rawOf(dlq);
    const received: CloudEvent[] = [];
    const durable = `bad-${n}`;
    await bus.consume({ stream: STREAM, durable, filterSubject: subject }, (event) => void received.push(event), {
      deadLetterSubject: dlq,
    });
    const go = await goPublish(peer, ['-url', url, '-subject', subject, '-mode', 'structured', '-bad', '-js']);
    await waitFor(() => received.length === 1 && dead.length === 1);
    expectGoEvent(received[0], go.id);
    expect(dead[0]!.headers?.get('Natsbus-Dead-Letter-Reason')).toBe('unsupported_specversion');
    const h = dead[0]!.headers!;
    expect(h.get('Natsbus-Original-Stream')).toBe(STREAM);
    expect(h.get('Natsbus-Original-Subject')).toBe(subject);
    expect(h.get('Natsbus-Original-Consumer')).toBe(durable);
    expect(h.get('Natsbus-Original-Sequence')).toMatch(/^[1-9]\d*$/);
    expect(h.get('Natsbus-Delivery-Count')).toBe('1');
    // Nats-* headers are not copied: the original id moves to Natsbus-Original-Msg-Id (the copy has
    // its own Nats-Msg-Id only when a stream captures the dead-letter subject; this one is core)
    expect(h.get('Natsbus-Original-Msg-Id')).toBe('bad-1');
    expect(h.get('Nats-Msg-Id')).toBe('');
    expect(dead[0]!.string()).toBe('{"specversion":"0.3","id":"bad-1","source":"/go-peer","type":"peer.bad"}');
  });
});
