import { readFileSync } from 'node:fs';
import { headers as natsHeaders, type Msg, type MsgHdrs } from '@nats-io/transport-node';
import { context, createTraceState, ROOT_CONTEXT, SpanStatusCode, trace, type TraceState } from '@opentelemetry/api';
// the same module instance that '@service-runtime/observability' resolves to under the source condition
import { createLogger, getLogger, setLogger } from '../../observability/src/logger.ts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeHeaderValue, percentEncode } from '../src/binary-mode.ts';
import { structuredHeaders, structuredModeHeaders } from '../src/outgoing.ts';
import { PublishError, REPLY_ERROR_TYPE, type Bus, type CloudEvent, type PublishOptions } from '../src/index.ts';
import { parentOf, spansNamed, startFixture, uniqueSubject, waitFor, type Fixture } from './fixture.ts';

// Each `describe` here is one row of docs/wire-contract.md, tested against a real nats-server.

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => fx.close());

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** Subscribes a raw nats.js listener (what another client sees on the wire). */
async function wireOf(bus: Bus, subject: string): Promise<Msg[]> {
  const wire: Msg[] = [];
  bus.connection.subscribe(subject, { callback: (_e, msg) => void wire.push(msg) });
  await bus.connection.flush();
  return wire;
}

async function receiverOf(bus: Bus, subject: string, deadLetterSubject?: string): Promise<CloudEvent[]> {
  const received: CloudEvent[] = [];
  bus.subscribe(subject, (event) => void received.push(event), deadLetterSubject ? { deadLetterSubject } : {});
  await bus.flush();
  return received;
}

function headersOf(entries: Record<string, string>): MsgHdrs {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(entries)) h.set(k, v);
  return h;
}

/** A remote upstream context (the W3C example ids) carrying `traceState`. */
function upstreamWith(traceState: TraceState) {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: 1,
    isRemote: true,
    traceState,
  });
}

/** A received message as docs/wire-contract.md writes one: each line with its `\\r\\n` spelled out. */
function asDocumented(msg: Msg): string {
  let text = 'NATS/1.0\\r\\n\n';
  for (const name of msg.headers!.keys()) {
    for (const value of msg.headers!.values(name)) text += `${name}: ${value}\\r\\n\n`;
  }
  return `${text}\\r\\n\n${msg.string()}\n`;
}

/** The generated values (id, time, trace ids) replaced by placeholders. */
function withoutGenerated(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, '<time>')
    .replace(/00-[0-9a-f]{32}-[0-9a-f]{16}-01/g, '<traceparent>');
}

describe('the examples in docs/wire-contract.md', () => {
  it('are the bytes natsbus writes for that publish in each content mode (generated values aside)', async () => {
    const doc = readFileSync(new URL('../../../docs/wire-contract.md', import.meta.url), 'utf8');
    const examples = [...doc.matchAll(/```text\n(NATS\/1\.0[^`]*)```/g)]
      .map((m) => m[1]!)
      .filter((block) => !block.includes('...'));
    expect(examples).toHaveLength(2);
    const bus = await fx.bus({ source: '/orders-service' });
    const subject = uniqueSubject('orders.created');
    const wire = await wireOf(bus, subject);
    const event = {
      type: 'order.created',
      subject: 'order 42 – €',
      data: { orderId: 42, total: 19.9 },
      tenant: 'acme',
    };
    await bus.publish(subject, event);
    await bus.publish(subject, event, { contentMode: 'binary' });
    await waitFor(() => wire.length === 2);
    expect(wire.map((msg) => withoutGenerated(asDocumented(msg)))).toEqual(examples.map(withoutGenerated));
  });
});

describe('binary content mode (CloudEvents NATS binding 1.0.3 §3.1)', () => {
  it('reads ce-datacontenttype: a text/plain event from another client keeps its text', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('bin.text');
    const received = await receiverOf(bus, subject);
    const h = headersOf({
      'ce-specversion': '1.0',
      'ce-id': 'go-1',
      'ce-source': '/go',
      'ce-type': 'note',
      'ce-datacontenttype': 'text/plain',
    });
    bus.connection.publish(subject, 'plain words, not JSON', { headers: h });
    await waitFor(() => received.length === 1);
    expect(received[0]).toMatchObject({ id: 'go-1', datacontenttype: 'text/plain', data: 'plain words, not JSON' });
  });

  it('writes every attribute as a ce- header, datacontenttype included, and no content-type', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('bin.attrs');
    const wire = await wireOf(bus, subject);
    await bus.publish(
      subject,
      { type: 't', datacontenttype: 'text/plain', data: 'hi', dataschema: 'urn:s', count: 42, flag: true },
      { contentMode: 'binary' },
    );
    await waitFor(() => wire.length === 1);
    const h = wire[0]!.headers!;
    expect(h.get('ce-datacontenttype')).toBe('text/plain');
    expect(h.get('ce-dataschema')).toBe('urn:s');
    expect(h.get('ce-count')).toBe('42');
    expect(h.get('ce-flag')).toBe('true');
    expect(h.get('ce-time')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(h.get('content-type')).toBe('');
    expect(wire[0]!.string()).toBe('hi');
  });

  it('reads data by ce-datacontenttype: *+json parsed, other types bytes, bad JSON refused', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('bin.types');
    const dlq = uniqueSubject('dlq');
    const dead = await wireOf(bus, dlq);
    const received = await receiverOf(bus, subject, dlq);
    const send = (id: string, type: string, body: string) =>
      bus.connection.publish(subject, body, {
        headers: headersOf({
          'ce-specversion': '1.0',
          'ce-id': id,
          'ce-source': '/py',
          'ce-type': 't',
          'ce-datacontenttype': type,
        }),
      });
    send('vnd', 'application/vnd.acme+json; charset=utf-8', '{"a":1}');
    send('octets', 'application/octet-stream', '{"a":1}');
    send('broken', 'application/json', '{"a":');
    await waitFor(() => received.length === 2 && dead.length === 1);
    expect(received[0]).toMatchObject({ id: 'vnd', data: { a: 1 } });
    expect(received[1]!.id).toBe('octets');
    expect(Buffer.isBuffer(received[1]!.data)).toBe(true);
    expect((received[1]!.data as Buffer).toString()).toBe('{"a":1}');
    expect(dead[0]!.headers!.get('Natsbus-Dead-Letter-Reason')).toBe('invalid_json');
    expect(dead[0]!.headers!.get('ce-id')).toBe('broken');
  });

  it('sends other data as JSON under the datacontenttype you set, application/json when you set none', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('bin.json');
    const wire = await wireOf(bus, subject);
    const datacontenttype = 'application/vnd.acme+json';
    await bus.publish(subject, { type: 't', datacontenttype, data: { a: 1 } }, { contentMode: 'binary' });
    await bus.publish(subject, { type: 't', data: 'just a string' }, { contentMode: 'binary' });
    await waitFor(() => wire.length === 2);
    expect(wire[0]!.headers!.get('ce-datacontenttype')).toBe('application/vnd.acme+json');
    expect(wire[0]!.string()).toBe('{"a":1}');
    expect(wire[1]!.headers!.get('ce-datacontenttype')).toBe('application/json');
    expect(wire[1]!.string()).toBe('"just a string"');
  });

  it('round-trips bytes without datacontenttype exactly (no JSON guess)', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('bin.bytes');
    const wire = await wireOf(bus, subject);
    const received = await receiverOf(bus, subject);
    const bytes = new Uint8Array([0, 255, 123, 34, 10, 13, 0x80]);
    await bus.publish(subject, { type: 'blob', data: bytes }, { contentMode: 'binary' });
    await waitFor(() => received.length === 1 && wire.length === 1);
    expect(wire[0]!.headers!.get('ce-datacontenttype')).toBe('');
    expect(Buffer.from(wire[0]!.data).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.isBuffer(received[0]!.data)).toBe(true);
    expect(Buffer.from(received[0]!.data as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
  });

  it('keeps datacontenttype and the creation context on a binary forward', async () => {
    const bus = await fx.bus({ contentMode: 'binary' });
    const first = uniqueSubject('bin.fw1');
    const second = uniqueSubject('bin.fw2');
    const finals = await receiverOf(bus, second);
    bus.subscribe(first, async (event) => {
      await bus.publish(second, { ...event, type: 'forwarded' });
    });
    await bus.flush();
    await bus.publish(first, { type: 'original', datacontenttype: 'text/csv', data: 'a,b\n1,2' });
    await waitFor(() => finals.length === 1);
    const producer = spansNamed(fx.telemetry, `publish ${first}`)[0]!;
    expect(finals[0]).toMatchObject({ type: 'forwarded', datacontenttype: 'text/csv' });
    expect(Buffer.from(finals[0]!.data as Uint8Array).toString()).toBe('a,b\n1,2');
    expect(finals[0]!.traceparent).toBe(`00-${producer.spanContext().traceId}-${producer.spanContext().spanId}-01`);
  });

  it('unescapes quoted strings, then percent-decodes either hex case; refuses invalid UTF-8', async () => {
    expect(decodeHeaderValue('"a \\"quoted\\" value"')).toBe('a "quoted" value');
    expect(decodeHeaderValue('Euro%20%e2%82%ac%20%F0%9F%98%80')).toBe('Euro € 😀');
    expect(percentEncode('Euro € 😀')).toBe('Euro%20%E2%82%AC%20%F0%9F%98%80');
    expect(percentEncode('a"b%c')).toBe('a%22b%25c');
    expect(() => decodeHeaderValue('%C0%A0')).toThrow(/percent-encoding/);
    for (const malformed of ['%G1', '100%', '%E2%82', '%ED%A0%80']) {
      expect(() => decodeHeaderValue(malformed)).toThrow(/percent-encoding/);
    }
    expect(() => decodeHeaderValue('"open')).toThrow(/quoted/);

    const bus = await fx.bus();
    const subject = uniqueSubject('bin.quoted');
    const dlq = uniqueSubject('dlq');
    const dead = await wireOf(bus, dlq);
    const received = await receiverOf(bus, subject, dlq);
    const base = { 'ce-specversion': '1.0', 'ce-source': '/other', 'ce-type': 't', 'ce-datacontenttype': 'text/plain' };
    const quoted = headersOf({ ...base, 'ce-id': 'q-1', 'ce-subject': '"cr%C3%A8me \\"br%c3%bbl%C3%A9e\\""' });
    bus.connection.publish(subject, 'x', { headers: quoted });
    bus.connection.publish(subject, 'x', { headers: headersOf({ ...base, 'ce-id': 'bad', 'ce-subject': '%C0%A0' }) });
    await waitFor(() => received.length === 1 && dead.length === 1);
    expect(received[0]!.subject).toBe('crème "brûlée"');
    expect(dead[0]!.headers!.get('Natsbus-Dead-Letter-Reason')).toBe('invalid_cloudevent');
  });
});

describe('structured content mode', () => {
  it('fills in id (a UUID), time (RFC 3339, UTC), source and specversion, keeps given ones, adds no datacontenttype', async () => {
    const bus = await fx.bus({ source: '/orders-service' });
    const subject = uniqueSubject('st.filled');
    const wire = await wireOf(bus, subject);
    await bus.publish(subject, { type: 't', data: { a: 1 } });
    const given = { id: 'given-1', source: '/elsewhere', time: '2026-03-02T10:15:30+01:00' };
    await bus.publish(subject, { type: 't', data: { a: 1 }, ...given });
    await waitFor(() => wire.length === 2);
    const [filled, kept] = wire.map((m) => JSON.parse(m.string()) as Record<string, unknown>);
    expect(filled!['id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(filled!['time']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Math.abs(Date.parse(filled!['time'] as string) - Date.now())).toBeLessThan(60_000);
    expect(filled).toMatchObject({ source: '/orders-service', specversion: '1.0', data: { a: 1 } });
    expect(filled).not.toHaveProperty('datacontenttype');
    expect(kept).toMatchObject({ ...given, specversion: '1.0' });
  });

  it('carries bytes data as data_base64 and gives the same bytes back', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('st.bytes');
    const wire = await wireOf(bus, subject);
    const received = await receiverOf(bus, subject);
    await bus.publish(subject, { type: 'blob', data: new Uint8Array([0, 1, 254, 255]) });
    await waitFor(() => received.length === 1 && wire.length === 1);
    const envelope = JSON.parse(wire[0]!.string());
    expect(envelope.data_base64).toBe('AAH+/w==');
    expect(envelope).not.toHaveProperty('data');
    expect(Buffer.from(received[0]!.data as Uint8Array).equals(Buffer.from([0, 1, 254, 255]))).toBe(true);
  });
});

describe('content-mode detection (binding §3)', () => {
  it('Content-Type application/cloudevents* (any case) is structured even with ce- headers; none is structured too', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('detect');
    const received = await receiverOf(bus, subject);
    const envelope = JSON.stringify({ specversion: '1.0', id: 'st-1', source: '/s', type: 'from-body', data: 1 });
    const h = headersOf({
      'Content-Type': 'Application/CloudEvents+JSON; charset=utf-8',
      'ce-specversion': '1.0',
      'ce-id': 'hdr-1',
      'ce-source': '/h',
      'ce-type': 'from-headers',
    });
    bus.connection.publish(subject, envelope, { headers: h });
    bus.connection.publish(subject, envelope.replace('st-1', 'st-2'));
    await waitFor(() => received.length === 2);
    expect(received.map((e) => [e.id, e.type])).toEqual([
      ['st-1', 'from-body'],
      ['st-2', 'from-body'],
    ]);
  });
});

describe('hop context in NATS headers', () => {
  it('is written on every publish, the first included, in the lower-case and canonical spellings', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('hop');
    const wire = await wireOf(bus, subject);
    await bus.publish(subject, { type: 't', data: 1 });
    await bus.publish(subject, { type: 't', data: 2 }, { contentMode: 'binary' });
    await waitFor(() => wire.length === 2);
    const producers = spansNamed(fx.telemetry, `publish ${subject}`);
    for (const [i, msg] of wire.entries()) {
      const sc = producers[i]!.spanContext();
      const expected = `00-${sc.traceId}-${sc.spanId}-01`;
      expect(msg.headers!.get('traceparent')).toBe(expected);
      expect(msg.headers!.get('Traceparent')).toBe(expected);
    }
  });

  it('core publishes write the block nats.js would encode, and a change afterwards is encoded too', () => {
    type Encodable = MsgHdrs & { encode(): Uint8Array };
    for (const state of [undefined, 'vendor=a1,other=b2']) {
      const fast = structuredModeHeaders(TP, state, undefined, structuredHeaders()) as Encodable;
      const slow = structuredModeHeaders(TP, state, undefined, undefined) as Encodable;
      expect(Buffer.from(fast.encode()).toString()).toBe(Buffer.from(slow.encode()).toString());
      expect(fast.get('Traceparent')).toBe(TP);
      fast.set('Nats-Msg-Id', 'x');
      expect(Buffer.from(fast.encode()).toString()).toContain('Nats-Msg-Id: x\r\n');
    }
  });

  it('carries tracestate in both spellings and in the extension', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('hop.state');
    const wire = await wireOf(bus, subject);
    const upstream = upstreamWith(createTraceState('vendor=a1'));
    await context.with(upstream, () => bus.publish(subject, { type: 't' }));
    await waitFor(() => wire.length === 1);
    const h = wire[0]!.headers!;
    expect([h.get('tracestate'), h.get('Tracestate')]).toEqual(['vendor=a1', 'vendor=a1']);
    expect(h.get('traceparent')).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-/);
    expect(JSON.parse(wire[0]!.string()).tracestate).toBe('vendor=a1');
  });

  it('drops a tracestate with a line break instead of writing it into the header block (no injected header)', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('hop.state.crlf');
    const wire = await wireOf(bus, subject);
    // TraceState.set does not check its value; a sampler or user code can hand the producer span such a state
    const upstream = upstreamWith(createTraceState('vendor=a1').set('evil', 'x\r\nInjected: 1'));
    for (const contentMode of ['structured', 'binary'] as const) {
      await context.with(upstream, () => bus.publish(subject, { type: 't' }, { contentMode }));
    }
    await waitFor(() => wire.length === 2);
    for (const msg of wire) {
      const h = msg.headers!;
      expect(h.keys().filter((k) => k.toLowerCase() === 'injected')).toEqual([]);
      expect([h.get('tracestate'), h.get('Tracestate'), h.get('ce-tracestate')]).toEqual(['', '', '']);
      expect(h.get('traceparent')).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-/);
    }
    expect(JSON.parse(wire[0]!.string()).tracestate).toBeUndefined();
  });

  it('drops a tracestate outside printable ASCII (W3C) instead of writing mangled bytes', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('hop.state.ascii');
    const wire = await wireOf(bus, subject);
    const upstream = upstreamWith(createTraceState('vendor=a1').set('other', 'é€'));
    await context.with(upstream, () => bus.publish(subject, { type: 't' }));
    await waitFor(() => wire.length === 1);
    const h = wire[0]!.headers!;
    expect([h.get('tracestate'), h.get('Tracestate')]).toEqual(['', '']);
    expect(h.get('traceparent')).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-/);
  });

  it('is read in any spelling', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('hop.read');
    const received = await receiverOf(bus, subject);
    const body = (id: string) => JSON.stringify({ specversion: '1.0', id, source: '/go', type: 't' });
    for (const [id, name] of [
      ['canonical', 'Traceparent'],
      ['upper', 'TRACEPARENT'],
    ]) {
      bus.connection.publish(subject, body(id!), { headers: headersOf({ [name!]: TP }) });
    }
    await waitFor(() => received.length === 2);
    const spans = await waitFor(() => {
      const found = spansNamed(fx.telemetry, `process ${subject}`);
      return found.length === 2 ? found : undefined;
    });
    for (const span of spans) {
      expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(parentOf(span)).toBe('b7ad6b7169203331');
    }
  });
});

describe('hop context spellings that disagree, tracestate in any spelling', () => {
  it('reads the lower-case traceparent when the spellings disagree', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('hop.disagree');
    const received = await receiverOf(bus, subject);
    const other = '00-11111111111111111111111111111111-2222222222222222-01';
    const body = JSON.stringify({ specversion: '1.0', id: 'd-1', source: '/go', type: 't' });
    for (const order of [
      ['Traceparent', 'traceparent'],
      ['traceparent', 'Traceparent'],
    ] as const) {
      const h = natsHeaders();
      h.set(order[0], order[0] === 'traceparent' ? TP : other);
      h.set(order[1], order[1] === 'traceparent' ? TP : other);
      bus.connection.publish(subject, body, { headers: h });
    }
    await waitFor(() => received.length === 2);
    const spans = await waitFor(() => {
      const found = spansNamed(fx.telemetry, `process ${subject}`);
      return found.length === 2 ? found : undefined;
    });
    for (const span of spans) expect(parentOf(span)).toBe('b7ad6b7169203331');
  });

  it('reads tracestate as OpenTelemetry Go writes it (Tracestate)', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('hop.state.read');
    const received = await receiverOf(bus, subject);
    const body = JSON.stringify({ specversion: '1.0', id: 's-1', source: '/go', type: 't' });
    bus.connection.publish(subject, body, { headers: headersOf({ Traceparent: TP, Tracestate: 'vendor=go1' }) });
    await waitFor(() => received.length === 1);
    const span = await waitFor(() => spansNamed(fx.telemetry, `process ${subject}`)[0]);
    expect(parentOf(span)).toBe('b7ad6b7169203331');
    expect(span.spanContext().traceState?.get('vendor')).toBe('go1');
  });
});

describe('publish-side validation', () => {
  // [case, extra attributes, what the message names]
  const refused: [string, Record<string, unknown>, string][] = [
    ['empty id', { id: '' }, 'id'],
    ['empty source', { source: '' }, 'source'],
    ['empty type', { type: '' }, 'type'],
    ['empty subject', { subject: '' }, 'subject'],
    ['empty datacontenttype', { datacontenttype: '' }, 'datacontenttype'],
    ['empty dataschema', { dataschema: '' }, 'dataschema'],
    ['empty traceparent', { traceparent: '' }, 'traceparent'],
    ['empty tracestate', { tracestate: '' }, 'tracestate'],
    ['time that is not RFC 3339', { time: 'yesterday' }, 'time'],
    ['upper-case extension name', { Tenant: 'a' }, 'extension attribute name'],
    ['extension name with an underscore', { tenant_id: 'a' }, 'extension attribute name'],
    ['object-valued extension', { meta: { a: 1 } }, 'meta'],
    ['array-valued extension', { tags: ['a'] }, 'tags'],
    ['fractional number extension', { ratio: 0.5 }, 'ratio'],
    ['integer extension out of 32-bit range', { big: 2 ** 31 }, 'big'],
    // CloudEvents String: no control characters, noncharacters or unpaired surrogates
    ['control character in subject', { subject: 'line\nbreak' }, 'subject'],
    ['C1 control character in type', { type: 'a\u0085b' }, 'type'],
    ['noncharacter in an extension', { note: 'x\uFFFE' }, 'note'],
    ['supplementary noncharacter in source', { source: '/s\u{10FFFF}' }, 'source'],
    ['unpaired surrogate in an extension', { label: 'half \uD83D' }, 'label'],
  ];
  for (const [name, extra, named] of refused) {
    it(`refuses ${name} before anything reaches the wire, naming the attribute, not the value`, async () => {
      const bus = await fx.bus();
      const subject = uniqueSubject('refused');
      const wire = await wireOf(bus, subject);
      for (const contentMode of ['structured', 'binary'] as const) {
        const error = await bus
          .publish(subject, { type: 't', data: 1, ...extra }, { contentMode })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PublishError);
        expect((error as PublishError).code).toBe('invalid_event');
        expect((error as Error).message).toContain(named);
        expect((error as Error).message).not.toContain('yesterday');
      }
      await bus.flush();
      expect(wire).toHaveLength(0);
    });
  }

  it('sends extension values of every CloudEvents type in their canonical form', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('types');
    const wire = await wireOf(bus, subject);
    const ext = {
      count: -7,
      min: -(2 ** 31),
      max: 2 ** 31 - 1,
      flag: false,
      label: 'x y',
      blob: new Uint8Array([1, 2, 3]),
      gone: null,
    };
    await bus.publish(subject, { type: 't', ...ext });
    await bus.publish(subject, { type: 't', ...ext }, { contentMode: 'binary' });
    await waitFor(() => wire.length === 2);
    expect(JSON.parse(wire[0]!.string())).toMatchObject({
      count: -7,
      min: -2147483648,
      max: 2147483647,
      flag: false,
      label: 'x y',
      blob: 'AQID',
    });
    expect(JSON.parse(wire[0]!.string())).not.toHaveProperty('gone');
    const h = wire[1]!.headers!;
    expect([
      h.get('ce-count'),
      h.get('ce-min'),
      h.get('ce-max'),
      h.get('ce-flag'),
      h.get('ce-label'),
      h.get('ce-blob'),
    ]).toEqual(['-7', '-2147483648', '2147483647', 'false', 'x%20y', 'AQID']);
    expect(h.has('ce-gone')).toBe(false);
  });
});

describe('PublishOptions.headers', () => {
  it("sends the caller's own headers in both modes", async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('own');
    const wire = await wireOf(bus, subject);
    const headers = { 'X-Tenant': 'acme', 'x-multi': ['a', 'b'] };
    await bus.publish(subject, { type: 't' }, { headers });
    await bus.publish(subject, { type: 't' }, { headers, contentMode: 'binary' });
    await waitFor(() => wire.length === 2);
    for (const msg of wire) {
      expect(msg.headers!.get('X-Tenant')).toBe('acme');
      expect(msg.headers!.values('x-multi')).toEqual(['a', 'b']);
      expect(msg.headers!.get('traceparent')).toMatch(/^00-/);
    }
  });

  const reserved = ['Traceparent', 'tracestate', 'Content-Type', 'CE-ID', 'Nats-Msg-Id', 'Natsbus-Dead-Letter-Reason'];
  for (const name of reserved) {
    it(`refuses the reserved header ${name}`, async () => {
      const bus = await fx.bus();
      const options: PublishOptions = { headers: { [name]: 'x' } };
      const error = await bus.publish(uniqueSubject('reserved'), { type: 't' }, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PublishError);
      expect((error as PublishError).code).toBe('reserved_header');
    });
  }

  it('refuses header names that are not tokens and values with line breaks', async () => {
    const bus = await fx.bus();
    const cases: Record<string, string>[] = [{ 'bad name': 'x' }, { 'x-ok': 'line\r\nInjected: 1' }];
    for (const headers of cases) {
      const error = await bus.publish(uniqueSubject('bad'), { type: 't' }, { headers }).catch((e: unknown) => e);
      expect((error as PublishError).code).toBe('invalid_header');
      expect((error as Error).message).not.toContain('Injected');
    }
  });
});

describe('replies on the wire', () => {
  it('a reply carries no trace context; a failing replier answers with the error type and a reason code', async () => {
    const bus = await fx.bus();
    const ok = uniqueSubject('reply.ok');
    const broken = uniqueSubject('reply.broken');
    bus.reply(ok, () => ({ type: 'answer', data: { n: 1 } }));
    bus.reply(broken, () => {
      throw new Error('secret detail');
    });
    await bus.flush();
    const request = JSON.stringify({ specversion: '1.0', id: 'r-1', source: '/go', type: 'question', traceparent: TP });
    const headers = headersOf({ traceparent: TP });
    for (const [subject, expected] of [
      [ok, { type: 'answer', data: { n: 1 } }],
      [broken, { type: REPLY_ERROR_TYPE, data: { code: 'handler_error' } }],
    ] as const) {
      const answer = await bus.connection.request(subject, request, { timeout: 5000, headers });
      const keys = answer.headers?.keys().map((k) => k.toLowerCase()) ?? [];
      expect(keys.filter((k) => k.includes('trace'))).toEqual([]);
      const envelope = JSON.parse(answer.string()) as Record<string, unknown>;
      expect(envelope).toMatchObject({ specversion: '1.0', source: '/test', ...expected });
      expect(envelope).not.toHaveProperty('traceparent');
      expect(answer.string()).not.toContain('secret');
    }
  });
});

/** Runs `run` with the process logger's warn lines captured into `lines`. */
async function withWarnings(run: (lines: string[]) => Promise<void>): Promise<void> {
  const lines: string[] = [];
  const previous = getLogger();
  vi.stubEnv('LOG_LEVEL', 'warn');
  setLogger(createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(line) } }));
  try {
    await run(lines);
  } finally {
    setLogger(previous);
  }
}

describe('refusals name the problem, never quote the payload', () => {
  it('an unsupported specversion value appears in no detail header, span status, exception or log line', async () => {
    await withWarnings(async (lines) => {
      const bus = await fx.bus();
      const subject = uniqueSubject('spec');
      const dlq = uniqueSubject('dlq');
      const dead = await wireOf(bus, dlq);
      const handled = await receiverOf(bus, subject, dlq);
      const marker = 'SECRET-VALUE-9.9';
      bus.connection.publish(
        subject,
        JSON.stringify({ specversion: marker, id: '1', source: '/p', type: 't', data: 1 }),
      );
      const binary = headersOf({ 'ce-specversion': marker, 'ce-id': '2', 'ce-source': '/p', 'ce-type': 't' });
      bus.connection.publish(subject, '1', { headers: binary });
      await bus.publish(subject, { type: 'ok' });
      await waitFor(() => handled.length === 1 && dead.length === 2);
      await waitFor(() => lines.filter((l) => l.includes('refused')).length === 2);
      const failed = spansNamed(fx.telemetry, `process ${subject}`).filter(
        (s) => s.status.code === SpanStatusCode.ERROR,
      );
      expect(failed).toHaveLength(2);
      const told = [
        ...dead.map((m) => m.headers!.get('Natsbus-Dead-Letter-Detail')),
        ...failed.flatMap((s) => [s.status.message ?? '', JSON.stringify(s.events)]),
        ...lines,
      ];
      for (const text of told) expect(text).not.toContain(marker);
      expect(dead[0]!.headers!.get('Natsbus-Dead-Letter-Detail')).toMatch(/specversion/);
      expect(dead[0]!.headers!.get('Natsbus-Dead-Letter-Reason')).toBe('unsupported_specversion');
    });
  });

  it('a validator error that quotes the data reaches no detail header, span status or log line', async () => {
    await withWarnings(async (lines) => {
      const bus = await fx.bus();
      const subject = uniqueSubject('validate');
      const dlq = uniqueSubject('dlq');
      const dead = await wireOf(bus, dlq);
      bus.subscribe(subject, () => undefined, {
        deadLetterSubject: dlq,
        validate: (data) => {
          throw new TypeError(`unknown sku ${(data as { sku: string }).sku}`);
        },
      });
      await bus.flush();
      await bus.publish(subject, { type: 't', data: { sku: 'SECRET-SKU-77' } });
      await waitFor(() => dead.length === 1 && lines.some((l) => l.includes('refused')));
      const failed = await waitFor(() =>
        spansNamed(fx.telemetry, `process ${subject}`).find((s) => s.status.code === SpanStatusCode.ERROR),
      );
      const detail = dead[0]!.headers!.get('Natsbus-Dead-Letter-Detail');
      expect(detail).toBe('data rejected by validate (TypeError)');
      for (const text of [detail, failed.status.message ?? '', JSON.stringify(failed.events), ...lines]) {
        expect(text).not.toContain('SECRET-SKU-77');
      }
    });
  });

  it('publish refuses an unsupported specversion without quoting it', async () => {
    const bus = await fx.bus();
    const error = await bus
      .publish(uniqueSubject('x'), { type: 't', specversion: 'SECRET-0.3' })
      .catch((e: unknown) => e);
    expect((error as PublishError).code).toBe('invalid_event');
    expect((error as Error).message).not.toContain('SECRET');
  });
});
