import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublishError } from '../src/index.ts';
import { isTransientPublishError } from '../src/jetstream-publish.ts';
import { spansNamed, startFixture, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ jetstream: true });
});
afterAll(async () => fx.close());

describe('JetStream publish retryForMs', () => {
  it('tells transient failures from final ones', () => {
    for (const name of ['TimeoutError', 'NoResponders', 'JetStreamNotEnabled', 'RequestError', 'ConnectionError']) {
      const error = new Error('x');
      error.name = name;
      expect(isTransientPublishError(error)).toBe(true);
    }
    const unavailable = Object.assign(new Error('JetStream system temporarily unavailable'), {
      name: 'JetStreamApiError',
      status: 503,
    });
    expect(isTransientPublishError(unavailable)).toBe(true);
    const refused = Object.assign(new Error('maximum messages exceeded'), { name: 'JetStreamApiError', status: 400 });
    expect(isTransientPublishError(refused)).toBe(false);
    const closed = Object.assign(new Error('closed'), { name: 'ClosedConnectionError' });
    expect(isTransientPublishError(closed)).toBe(false);
    expect(isTransientPublishError(undefined)).toBe(false);
  });

  it('fails at once without it and keeps trying with it until the restarted server acks', async () => {
    const bus = await fx.bus({ connectOptions: { maxReconnectAttempts: -1, reconnectTimeWait: 100 } });
    await bus.ensureStream({ name: 'RETRY', subjects: ['retry.>'] });
    const before = await bus.publish('retry.a', { type: 't', data: 0 }, { jetstream: true });
    expect(before.seq).toBe(1);

    await fx.server.stop();
    const once = bus.publish('retry.a', { type: 't', data: 1 }, { jetstream: true, timeoutMs: 300 });
    await expect(once).rejects.toBeInstanceOf(PublishError);
    await expect(once).rejects.toMatchObject({ code: 'jetstream_publish_failed' });

    const retried = bus.publish(
      'retry.a',
      { type: 't', data: 2 },
      { jetstream: true, timeoutMs: 500, retryForMs: 60_000 },
    );
    await sleep(1200);
    await fx.server.restart();
    const ack = await retried;
    expect(ack.stream).toBe('RETRY');
    expect(ack.duplicate).toBe(false);
    expect(ack.seq).toBe(2);
    const span = spansNamed(fx.telemetry, 'publish retry.a').find((s) => s.events.some((e) => e.name === 'retry'));
    expect(span?.events.filter((e) => e.name === 'retry').length).toBeGreaterThan(0);
  });

  it('gives up after retryForMs', async () => {
    const bus = await fx.bus({ connectOptions: { maxReconnectAttempts: -1, reconnectTimeWait: 100 } });
    await bus.ensureStream({ name: 'GIVEUP', subjects: ['giveup.>'] });
    await fx.server.stop();
    try {
      const attempt = bus.publish('giveup.a', { type: 't' }, { jetstream: true, timeoutMs: 200, retryForMs: 800 });
      await expect(attempt).rejects.toMatchObject({ code: 'jetstream_publish_failed' });
    } finally {
      await fx.server.restart();
    }
  });
});
