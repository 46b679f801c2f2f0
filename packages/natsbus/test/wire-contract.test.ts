import { headers as natsHeaders, type Msg, type MsgHdrs } from '@nats-io/transport-node';
import { context, createTraceState, ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
// the same module instance that '@service-runtime/observability' resolves to under the source condition
import { createLogger, getLogger, setLogger } from '../../observability/src/logger.ts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeHeaderValue, percentEncode } from '../src/binary-mode.ts';
import { structuredHeaders, structuredModeHeaders } from '../src/outgoing.ts';
import { PublishError, type Bus, type CloudEvent, type PublishOptions } from '../src/index.ts';
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
    const upstream = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
      traceState: createTraceState('vendor=a1'),
    });
    await context.with(upstream, () => bus.publish(subject, { type: 't' }));
    await waitFor(() => wire.length === 1);
    const h = wire[0]!.headers!;
    expect([h.get('tracestate'), h.get('Tracestate')]).toEqual(['vendor=a1', 'vendor=a1']);
    expect(h.get('traceparent')).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-/);
    expect(JSON.parse(wire[0]!.string()).tracestate).toBe('vendor=a1');
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

describe('publish-side validation', () => {
  const refused: [string, Record<string, unknown>][] = [
    ['empty id', { id: '' }],
    ['empty source', { source: '' }],
    ['empty type', { type: '' }],
    ['empty subject', { subject: '' }],
    ['time that is not RFC 3339', { time: 'yesterday' }],
    ['upper-case extension name', { Tenant: 'a' }],
    ['extension name with an underscore', { tenant_id: 'a' }],
    ['object-valued extension', { meta: { a: 1 } }],
    ['array-valued extension', { tags: ['a'] }],
    ['fractional number extension', { ratio: 0.5 }],
    ['integer extension out of 32-bit range', { big: 2 ** 40 }],
  ];
  for (const [name, extra] of refused) {
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
    const ext = { count: -7, flag: false, label: 'x y', blob: new Uint8Array([1, 2, 3]), gone: null };
    await bus.publish(subject, { type: 't', ...ext });
    await bus.publish(subject, { type: 't', ...ext }, { contentMode: 'binary' });
    await waitFor(() => wire.length === 2);
    expect(JSON.parse(wire[0]!.string())).toMatchObject({ count: -7, flag: false, label: 'x y', blob: 'AQID' });
    expect(JSON.parse(wire[0]!.string())).not.toHaveProperty('gone');
    const h = wire[1]!.headers!;
    expect([h.get('ce-count'), h.get('ce-flag'), h.get('ce-label'), h.get('ce-blob')]).toEqual([
      '-7',
      'false',
      'x%20y',
      'AQID',
    ]);
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
