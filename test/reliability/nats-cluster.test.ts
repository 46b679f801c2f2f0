// A 3-node JetStream cluster, a stream with 3 replicas, the stream leader killed (SIGKILL) in the
// middle of a 10,000-message run: nothing lost, duplicates only as at-least-once redelivery, and
// an idempotent handler (dedupe by CloudEvent source + id) runs its work once per event.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createBus, idempotent, type Bus } from '@service-runtime/natsbus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsCluster, startNatsCluster } from '../helpers/nats-cluster.ts';
import { IdTally, waitUntil } from './nats-tally.ts';

const TOTAL = 10_000;
const IN_FLIGHT = 64;
const KILL_AT = 3000;

let cluster: NatsCluster;
const buses: Bus[] = [];

beforeAll(async () => {
  process.env['LOG_LEVEL'] ??= 'error';
  cluster = await startNatsCluster();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(buses.map((b) => b.close()));
  await cluster?.close();
});

/** Node index (`node-<i>`) of the leader of a stream, or of one of its consumers. */
async function leaderOf(stream: string, durable?: string): Promise<number> {
  const nc = await connect({ servers: cluster.urls });
  try {
    const jsm = await jetstreamManager(nc);
    const info = durable === undefined ? await jsm.streams.info(stream) : await jsm.consumers.info(stream, durable);
    return Number(info.cluster?.leader?.replace('node-', ''));
  } finally {
    await nc.close();
  }
}

describe('3-node JetStream cluster, one node killed mid-run', () => {
  it('loses none of 10,000 messages; an idempotent handler runs once per event', { timeout: 120_000 }, async () => {
    const admin = await createBus({ servers: cluster.urls, source: '/admin', closeOnShutdown: false });
    buses.push(admin);
    await admin.ensureStream({ name: 'ORDERS', subjects: ['orders.>'], replicas: 3 });
    const info = await (await jetstreamManager(admin.connection)).streams.info('ORDERS');
    expect(info.config.num_replicas).toBe(3);
    const connectOptions = { maxReconnectAttempts: -1, reconnectTimeWait: 100, noRandomize: true };
    const consumer = await createBus({
      servers: cluster.urls,
      source: '/shipping',
      closeOnShutdown: false,
      connectOptions,
    });
    buses.push(consumer);
    const tally = new IdTally();
    const effects = new Map<string, number>();
    let deduped = 0;
    const ship = idempotent(
      (event) => {
        effects.set(event.id, (effects.get(event.id) ?? 0) + 1);
      },
      { maxEntries: TOTAL * 2 },
    );
    await consumer.consume(
      { stream: 'ORDERS', durable: 'shipping' },
      async (event, ctx) => {
        tally.deliver(event.id);
        const before = effects.get(event.id) ?? 0;
        await ship(event, ctx);
        if ((effects.get(event.id) ?? 0) === before) deduped++;
      },
      { backoffMs: 200, maxDeliver: 50, timeoutMs: 2000 },
    );

    // the victim is the node leading the durable consumer (its ack state): acks in flight to it are
    // lost, so the new leader redelivers them; the publisher talks to it first, so it reconnects too
    const victim = await leaderOf('ORDERS', 'shipping');
    const streamLeader = await leaderOf('ORDERS');
    const servers = [cluster.urls[victim]!, ...cluster.urls.filter((_, i) => i !== victim)];
    const publisher = await createBus({ servers, source: '/orders', closeOnShutdown: false, connectOptions });
    buses.push(publisher);

    let next = 0;
    let killed: Promise<void> | undefined;
    let duplicateAcks = 0;
    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        if (i === KILL_AT) killed = cluster.kill(victim);
        const ack = await publisher.publish(
          `orders.${i % 8}`,
          { type: 'order.created', data: { i } },
          { jetstream: true, timeoutMs: 2000, retryForMs: 60_000 },
        );
        tally.published.add(ack.id);
        if (ack.duplicate) duplicateAcks++;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    await killed;
    expect(tally.published.size).toBe(TOTAL);

    await waitUntil(
      () => tally.seen() === TOTAL,
      60_000,
      () => `consumer saw ${tally.seen()} of ${TOTAL}; missing e.g. ${tally.missing().slice(0, 3).join(', ')}`,
    );
    expect(tally.missing()).toEqual([]);
    expect(tally.unknown()).toEqual([]);
    // every event's work ran exactly once; every extra delivery was a redelivery the handler skipped
    expect(effects.size).toBe(TOTAL);
    expect([...effects.values()].every((count) => count === 1)).toBe(true);
    expect(deduped).toBe(tally.redeliveries());

    const after = await (await jetstreamManager(publisher.connection)).streams.info('ORDERS');
    expect(after.state.messages).toBe(TOTAL);
    expect(after.cluster?.leader).not.toBe(`node-${victim}`);
    expect(after.cluster?.replicas?.some((peer) => peer.name === `node-${victim}` && !peer.current)).toBe(true);
    console.info(
      `cluster: ${TOTAL} published (consumer leader node-${victim} killed at #${KILL_AT}, stream leader was node-${streamLeader}), ${duplicateAcks} publish retries acked as duplicate, ` +
        `${tally.redeliveries()} redeliveries seen and deduped by idempotent(), 0 lost`,
    );
  });
});
