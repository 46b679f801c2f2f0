import { SpanStatusCode } from '@opentelemetry/api';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublishError, RequestError } from '../src/index.ts';
import { spansNamed, startFixture, uniqueSubject, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => fx.close());

describe('publish refuses what NATS forbids', () => {
  for (const subject of ['orders.*', '>', 'orders.>', 'a..b', '.a', 'a.', 'has space']) {
    it(`"${subject}" is refused with invalid_subject, nothing is sent`, async () => {
      const bus = await fx.bus();
      const seen: string[] = [];
      bus.connection.subscribe('>', { callback: (_e, msg) => void seen.push(msg.subject) });
      await bus.flush();
      const result = bus.publish(subject, { type: 't' });
      await expect(result).rejects.toBeInstanceOf(PublishError);
      await expect(result).rejects.toMatchObject({ code: 'invalid_subject' });
      await bus.flush();
      expect(seen).toEqual([]);
    });
  }

  it('checks every subject after a good one (the hot subject is remembered, nothing else)', async () => {
    const bus = await fx.bus();
    const good = uniqueSubject('good');
    for (const subject of [good, undefined, '', `${good}.*`, `${good} `, good]) {
      const result = await bus.publish(subject as string, { type: 't' }).then(
        () => 'sent',
        (error: PublishError) => error.code,
      );
      expect(result).toBe(subject === good ? 'sent' : 'invalid_subject');
    }
  });

  for (const subject of ['orders.*', '>']) {
    it(`a request to "${subject}" is refused with invalid_subject, nothing is sent`, async () => {
      const bus = await fx.bus();
      const seen: string[] = [];
      bus.connection.subscribe('>', { callback: (_e, msg) => void seen.push(msg.subject) });
      await bus.flush();
      const result = bus.request(subject, { type: 't' }, { timeoutMs: 500 });
      await expect(result).rejects.toBeInstanceOf(RequestError);
      await expect(result).rejects.toMatchObject({ code: 'invalid_subject' });
      await bus.flush();
      expect(seen).toEqual([]);
    });
  }
});

describe('a publish result is reported only once it is true', () => {
  it('a body that fits max_payload only without its headers is rejected: PublishError, ERROR span, nothing sent', async () => {
    const bus = await fx.bus({ contentMode: 'binary' });
    const subject = uniqueSubject('big');
    const seen: number[] = [];
    bus.connection.subscribe(subject, { callback: (_e, msg) => void seen.push(msg.data.length) });
    await bus.flush();
    const maxPayload = bus.connection.info!.max_payload;
    const data = new Uint8Array(maxPayload - 10); // the ce-* header block is far over 10 bytes

    const result = bus.publish(subject, { type: 't', id: 'too-big', data });
    await expect(result).rejects.toBeInstanceOf(PublishError);
    await expect(result).rejects.toMatchObject({ code: 'too_large' });
    const span = spansNamed(fx.telemetry, `publish ${subject}`).find(
      (s) => s.attributes['cloudevents.event_id'] === 'too-big',
    );
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('too_large');

    await bus.publish(subject, { type: 't', data: new Uint8Array(10) });
    await bus.flush();
    expect(seen).toEqual([10]);
  });

  it('a structured-mode body that fits only without its content-type header is rejected the same way', async () => {
    const bus = await fx.bus();
    const maxPayload = bus.connection.info!.max_payload;
    const result = bus.publish(uniqueSubject('big'), { type: 't', data: 'x'.repeat(maxPayload - 20) });
    await expect(result).rejects.toMatchObject({ name: 'PublishError', code: 'too_large' });
  });

  it('a connection closed underneath the bus: publish rejects with PublishError closed', async () => {
    const bus = await fx.bus();
    await bus.connection.close();
    await expect(bus.publish(uniqueSubject('closed'), { type: 't' })).rejects.toMatchObject({
      name: 'PublishError',
      code: 'closed',
    });
  });

  it('nats.js refuses a message after the bus checks passed (connection draining): PublishError closed, ERROR span, nothing sent', async () => {
    const bus = await fx.bus();
    const watcher = await fx.bus();
    const subject = uniqueSubject('draining');
    let received = 0;
    watcher.connection.subscribe(subject, { callback: () => void received++ });
    await watcher.flush();
    const draining = bus.connection.drain();
    // nats.js stops taking publishes a few microtasks into drain(); it closes only after the
    // server's PONG, which no microtask can bring: the connection is draining but not closed
    for (let i = 0; i < 100 && !refusesPublishes(bus.connection); i++) await Promise.resolve();
    expect(refusesPublishes(bus.connection)).toBe(true);
    expect(bus.connection.isClosed()).toBe(false);
    const result = bus.publish(subject, { type: 't' });
    const stored = bus.publish(subject, { type: 't' }, { jetstream: true });
    await expect(result).rejects.toMatchObject({ name: 'PublishError', code: 'closed' });
    await expect(stored).rejects.toMatchObject({ name: 'PublishError', code: 'closed' });
    await draining;
    await watcher.flush();
    expect(received).toBe(0);
    const spans = spansNamed(fx.telemetry, `publish ${subject}`);
    expect(spans.map((s) => s.status.code)).toEqual([SpanStatusCode.ERROR, SpanStatusCode.ERROR]);
  });

  it('resolves with the id once nats.js took it; every message of a burst arrives', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('burst');
    let received = 0;
    bus.connection.subscribe(subject, { callback: () => void received++ });
    await bus.flush();
    const results = await Promise.all(
      Array.from({ length: 600 }, (_, i) => bus.publish(subject, { type: 't', id: `b${i}` })),
    );
    expect(results.map((r) => r.id)).toEqual(Array.from({ length: 600 }, (_, i) => `b${i}`));
    await bus.flush();
    expect(received).toBe(600);
    const ok = spansNamed(fx.telemetry, `publish ${subject}`);
    expect(ok).toHaveLength(600);
    expect(ok.every((s) => s.status.code === SpanStatusCode.UNSET)).toBe(true);
  });
});

/** True when nats.js throws DrainingConnectionError for a publish (the probe itself is then not sent). */
function refusesPublishes(nc: NatsConnection): boolean {
  try {
    nc.publish('probe.draining');
    return false;
  } catch (error) {
    return (error as Error).name === 'DrainingConnectionError';
  }
}
