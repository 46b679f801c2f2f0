import { headers as natsHeaders, type Msg } from '@nats-io/transport-node';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestError, type CloudEvent } from '../src/index.ts';
import { parentOf, spansNamed, startFixture, uniqueSubject, waitFor, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => fx.close());

function capture(fixture: Fixture, subject: string, into: Msg[]) {
  return fixture.bus().then(async (bus) => {
    bus.connection.subscribe(subject, { callback: (_e, msg) => void into.push(msg) });
    await bus.connection.flush();
    return bus;
  });
}

describe('content modes', () => {
  it('structured mode: content-type header and a JSON envelope', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('structured');
    const wire: Msg[] = [];
    await capture(fx, subject, wire);
    await bus.publish(subject, { type: 't', data: { a: 1 } });
    await waitFor(() => wire.length === 1);
    expect(wire[0]!.headers?.get('content-type')).toBe('application/cloudevents+json');
    const envelope = JSON.parse(wire[0]!.string());
    expect(envelope).toMatchObject({ specversion: '1.0', type: 't', source: '/test', data: { a: 1 } });
    expect(envelope.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // every hop, the first included, carries the hop context in both header spellings
    expect(wire[0]!.headers?.get('traceparent')).toBe(envelope.traceparent);
    expect(wire[0]!.headers?.get('Traceparent')).toBe(envelope.traceparent);
  });

  it('binary mode: percent-encoded ce-* headers, data as the body, decoded on receive', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('binary');
    const wire: Msg[] = [];
    const received: CloudEvent[] = [];
    await capture(fx, subject, wire);
    bus.subscribe(subject, (event) => void received.push(event));
    await bus.flush();
    await bus.publish(
      subject,
      { type: 'order created', subject: 'crème "brûlée" 100%', data: { a: 1 }, tenant: 'acme' },
      { contentMode: 'binary' },
    );
    await waitFor(() => wire.length === 1 && received.length === 1);
    const h = wire[0]!.headers!;
    expect(h.get('ce-specversion')).toBe('1.0');
    expect(h.get('ce-type')).toBe('order%20created');
    expect(h.get('ce-subject')).toBe('cr%C3%A8me%20%22br%C3%BBl%C3%A9e%22%20100%25');
    expect(h.get('ce-tenant')).toBe('acme');
    expect(h.get('ce-traceparent')).toMatch(/^00-/);
    expect(h.get('ce-datacontenttype')).toBe('application/json');
    expect(h.get('content-type')).toBe('');
    expect(JSON.parse(wire[0]!.string())).toEqual({ a: 1 });
    expect(received[0]).toMatchObject({
      type: 'order created',
      subject: 'crème "brûlée" 100%',
      tenant: 'acme',
      data: { a: 1 },
    });
  });

  it('accepts a binary-mode message with upper-case CE headers from another client', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('foreign');
    const received: CloudEvent[] = [];
    bus.subscribe(subject, (event) => void received.push(event));
    await bus.flush();
    const h = natsHeaders();
    h.set('Ce-Specversion', '1.0');
    h.set('Ce-Id', 'x-1');
    h.set('Ce-Source', '/other');
    h.set('Ce-Type', 'plain');
    h.set('Content-Type', 'text/plain');
    bus.connection.publish(subject, 'hello', { headers: h });
    await waitFor(() => received.length === 1);
    expect(received[0]).toMatchObject({ id: 'x-1', source: '/other', type: 'plain', data: 'hello' });
  });
});

describe('trust boundary', () => {
  it('publishes to external subjects without any trace context, in both modes', async () => {
    const bus = await fx.bus({ externalSubjects: ['partner.>'] });
    const wire: Msg[] = [];
    const subject = `partner.${uniqueSubject('x')}`;
    await capture(fx, subject, wire);
    const forwarded = {
      type: 't',
      id: 'fw-1',
      source: '/up',
      traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
    };
    await bus.publish(subject, forwarded);
    await bus.publish(subject, { type: 't', data: 1 }, { contentMode: 'binary' });
    await waitFor(() => wire.length === 2);
    const envelope = JSON.parse(wire[0]!.string());
    expect(envelope.traceparent).toBeUndefined();
    expect(envelope.tracestate).toBeUndefined();
    for (const msg of wire) {
      const keys = msg.headers?.keys().map((k) => k.toLowerCase()) ?? [];
      expect(keys.filter((k) => k.includes('trace'))).toEqual([]);
    }
  });

  it('reads NATSBUS_EXTERNAL_SUBJECTS from the environment', async () => {
    process.env['NATSBUS_EXTERNAL_SUBJECTS'] = 'webhooks.*';
    try {
      const bus = await fx.bus();
      const wire: Msg[] = [];
      const subject = `webhooks.${Math.random().toString(36).slice(2)}`;
      await capture(fx, subject, wire);
      await bus.publish(subject, { type: 't', data: 1 });
      await waitFor(() => wire.length === 1);
      expect(JSON.parse(wire[0]!.string()).traceparent).toBeUndefined();
    } finally {
      delete process.env['NATSBUS_EXTERNAL_SUBJECTS'];
    }
  });
});

describe('queue groups and request/reply', () => {
  it('delivers each message to one member of a queue group, with the group on the span', async () => {
    const subject = uniqueSubject('work');
    const a: string[] = [];
    const b: string[] = [];
    const busA = await fx.bus();
    const busB = await fx.bus();
    busA.subscribe(subject, (e) => void a.push(e.id), { queue: 'workers' });
    busB.subscribe(subject, (e) => void b.push(e.id), { queue: 'workers' });
    await busA.flush();
    await busB.flush();
    const pub = await fx.bus();
    for (let i = 0; i < 40; i++) await pub.publish(subject, { type: 't', data: i });
    await waitFor(() => a.length + b.length === 40);
    expect(new Set([...a, ...b]).size).toBe(40);
    const span = await waitFor(() => spansNamed(fx.telemetry, `process ${subject}`)[0]);
    expect(span.attributes['messaging.consumer.group.name']).toBe('workers');
  });

  it('traces a request through the replier and back', async () => {
    const server = await fx.bus({ source: '/pricing' });
    const client = await fx.bus();
    const subject = uniqueSubject('price');
    server.reply(subject, (event) => ({
      type: 'price.quoted',
      data: { sku: (event.data as { sku: string }).sku, price: 42 },
    }));
    await server.flush();
    const answer = await client.request(subject, { type: 'price.quote', data: { sku: 'a' } }, { timeoutMs: 5000 });
    expect(answer).toMatchObject({ type: 'price.quoted', source: '/pricing', data: { sku: 'a', price: 42 } });
    const producer = spansNamed(fx.telemetry, `request ${subject}`)[0]!;
    const consumer = await waitFor(() => spansNamed(fx.telemetry, `process ${subject}`)[0]);
    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(producer.attributes['messaging.operation.name']).toBe('request');
    expect(parentOf(consumer)).toBe(producer.spanContext().spanId);
  });

  it('fails a request fast when the replier throws, and on timeout when nobody answers', async () => {
    const server = await fx.bus();
    const client = await fx.bus();
    const subject = uniqueSubject('broken');
    server.reply(subject, () => {
      throw new Error('secret detail');
    });
    await server.flush();
    const error = await client.request(subject, { type: 'q' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).code).toBe('remote_error');
    expect((error as Error).message).not.toContain('secret');
    const none = await client
      .request(uniqueSubject('nobody'), { type: 'q' }, { timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(none).toBeInstanceOf(RequestError);
  });
});
