// A single nats-server restarted in the middle of a stream: the bus reconnects, core pub/sub
// resumes, JetStream publishes retry until acked and the durable consumer loses nothing.
import { setTimeout as sleep } from 'node:timers/promises';
import { createBus, type Bus } from '@service-runtime/natsbus';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.ts';
import { IdTally, waitUntil } from './nats-tally.ts';

const RECONNECT = { maxReconnectAttempts: -1, reconnectTimeWait: 100 };

let server: NatsServer;
let telemetry: TestTelemetry;
const buses: Bus[] = [];

async function bus(name: string): Promise<Bus> {
  const b = await createBus({
    servers: server.url,
    source: `/${name}`,
    name,
    closeOnShutdown: false,
    connectOptions: RECONNECT,
  });
  buses.push(b);
  return b;
}

/** Resolves on the next `reconnect` status of the bus's connection. */
async function nextReconnect(b: Bus): Promise<void> {
  for await (const status of b.connection.status()) if (status.type === 'reconnect') return;
}

beforeAll(async () => {
  process.env['LOG_LEVEL'] ??= 'error';
  telemetry = setupTestTelemetry({ serviceName: 'reliability-restart' });
  server = await startNatsServer({ jetstream: true });
});

afterAll(async () => {
  await Promise.allSettled(buses.map((b) => b.close()));
  await server.close();
  await telemetry.shutdown();
});

describe('NATS server restarted in the middle of a stream', () => {
  it('core pub/sub: both buses reconnect and delivery resumes', { timeout: 60_000 }, async () => {
    const publisher = await bus('core-pub');
    const subscriber = await bus('core-sub');
    const received = new Set<number>();
    subscriber.subscribe<number>('core.restart', (event) => void received.add(event.data!));
    await subscriber.flush();
    let n = 0;
    const send = async (count: number) => {
      for (let i = 0; i < count; i++) await publisher.publish('core.restart', { type: 'probe', data: n++ });
      await publisher.flush();
    };
    await send(200);
    await waitUntil(
      () => received.size === 200,
      15_000,
      () => `received ${received.size} of 200 before restart`,
    );

    const reconnected = Promise.all([nextReconnect(publisher), nextReconnect(subscriber)]);
    await server.stop();
    // publishing while the server is down neither throws nor blocks (nats.js buffers; core is at-most-once)
    for (let i = 0; i < 50; i++) await publisher.publish('core.restart', { type: 'during', data: -1 - i });
    await server.restart();
    await reconnected;

    // once a probe makes the round trip the subscription is back, and a whole run arrives
    const mark = n;
    const resumed = () => [...received].some((v) => v >= mark);
    for (let tries = 0; tries < 200 && !resumed(); tries++) {
      await send(1);
      await sleep(100);
    }
    expect(resumed()).toBe(true);
    const start = n;
    await send(500);
    const arrived = () => [...received].filter((v) => v >= start).length;
    await waitUntil(
      () => arrived() === 500,
      20_000,
      () => `received ${arrived()} of 500 after the restart`,
    );
    expect(publisher.connection.isClosed()).toBe(false);
    expect(subscriber.connection.isClosed()).toBe(false);
  });

  it('JetStream: publishes retry until acked and the consumer loses nothing', { timeout: 90_000 }, async () => {
    const publisher = await bus('js-pub');
    const consumer = await bus('js-sub');
    await publisher.ensureStream({ name: 'RESTART', subjects: ['restart.>'] });
    const tally = new IdTally();
    await consumer.consume(
      { stream: 'RESTART', durable: 'restart-worker' },
      (event) => {
        tally.deliver(event.id);
      },
      { backoffMs: 200 },
    );

    const total = 2000;
    let outage: Promise<void> | undefined;
    let duplicates = 0;
    for (let i = 0; i < total; i++) {
      if (i === 600) {
        // the server is killed (SIGKILL) while publishes keep coming, and comes back a second later
        outage = (async () => {
          await server.stop('SIGKILL');
          await sleep(1000);
          await server.restart();
        })();
      }
      const ack = await publisher.publish(
        `restart.${i % 4}`,
        { type: 'restart.test', data: { i } },
        { jetstream: true, timeoutMs: 1000, retryForMs: 60_000 },
      );
      tally.published.add(ack.id);
      if (ack.duplicate) duplicates++;
    }
    await outage;
    expect(tally.published.size).toBe(total);

    await waitUntil(
      () => tally.seen() === total,
      45_000,
      () => `consumer saw ${tally.seen()} of ${total}; missing e.g. ${tally.missing().slice(0, 3).join(', ')}`,
    );
    expect(tally.missing()).toEqual([]);
    expect(tally.unknown()).toEqual([]);
    // the outage hit the publisher: some publishes needed a retry
    const retried = telemetry
      .spans()
      .filter((s) => s.name.startsWith('publish restart.') && s.events.some((e) => e.name === 'retry'));
    expect(retried.length).toBeGreaterThan(0);
    // a retry of a stored publish is answered as a duplicate, never stored twice
    const info = await (await import('@nats-io/jetstream')).jetstreamManager(publisher.connection);
    const stream = await info.streams.info('RESTART');
    expect(stream.state.messages).toBe(total);
    console.info(
      `restart: ${total} published, ${retried.length} publishes retried, ${duplicates} acked as duplicate, ` +
        `${tally.redeliveries()} redeliveries`,
    );
  });
});
