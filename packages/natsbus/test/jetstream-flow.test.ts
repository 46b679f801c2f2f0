import { jetstreamManager } from '@nats-io/jetstream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../src/index.ts';
import { startFixture, waitFor, waitForAsync, type Fixture } from './fixture.ts';

let fx: Fixture;
let n = 0;
beforeAll(async () => {
  fx = await startFixture({ jetstream: true });
});
afterAll(async () => fx.close());

async function stream(count: number): Promise<{ bus: Bus; stream: string; ids: string[] }> {
  n++;
  const bus = await fx.bus();
  const name = `FLOW${n}`;
  await bus.ensureStream({ name, subjects: [`flow${n}.>`], storage: 'memory' });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push((await bus.publish(`flow${n}.job`, { type: 'job', data: i }, { jetstream: true })).id);
  }
  return { bus, stream: name, ids };
}

function tally(calls: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of calls) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

describe('JetStream consumption never redelivers what did not fail', () => {
  it(
    '60 messages × 250 ms with timeoutMs 1000: exactly one handler call per message',
    { timeout: 60_000 },
    async () => {
      const { bus, stream: name, ids } = await stream(60);
      const calls: string[] = [];
      await bus.consume(
        { stream: name, durable: 'slow' },
        async (event) => {
          calls.push(event.id);
          await sleep(250);
        },
        { timeoutMs: 1000 },
      );
      await waitFor(() => calls.length >= 60, 40_000);
      const jsm = await jetstreamManager(bus.connection);
      await waitForAsync(async () => {
        const info = await jsm.consumers.info(name, 'slow');
        return (info.num_ack_pending === 0 && info.num_pending === 0) || undefined;
      });
      expect(calls).toHaveLength(60);
      expect([...tally(calls).values()].every((c) => c === 1)).toBe(true);
      expect(new Set(calls)).toEqual(new Set(ids));
      expect((await jsm.consumers.info(name, 'slow')).num_redelivered).toBe(0);
    },
  );

  it(
    'a handler that runs past the ack wait is kept alive with progress messages (concurrency 3)',
    { timeout: 30_000 },
    async () => {
      const { bus, stream: name } = await stream(3);
      const calls: string[] = [];
      let running = 0;
      let most = 0;
      await bus.consume(
        { stream: name, durable: 'long' },
        async (event) => {
          calls.push(event.id);
          most = Math.max(most, ++running);
          await sleep(2500);
          running--;
        },
        { ackWaitMs: 1000, timeoutMs: 10_000, concurrency: 3 },
      );
      const jsm = await jetstreamManager(bus.connection);
      expect(millisOf((await jsm.consumers.info(name, 'long')).config.ack_wait)).toBe(1000);
      await waitForAsync(async () => {
        const info = await jsm.consumers.info(name, 'long');
        return (calls.length === 3 && info.num_ack_pending === 0 && info.num_pending === 0) || undefined;
      }, 20_000);
      expect(calls).toHaveLength(3);
      expect(most).toBe(3);
      expect((await jsm.consumers.info(name, 'long')).num_redelivered).toBe(0);
    },
  );

  it(
    'a batch handler that runs past the ack wait is kept alive with progress messages too',
    { timeout: 30_000 },
    async () => {
      const { bus, stream: name } = await stream(4);
      const calls: string[] = [];
      await bus.consumeBatch(
        { stream: name, durable: 'long-batch' },
        async (events) => {
          calls.push(...events.map((e) => e.id));
          await sleep(2500);
        },
        { ackWaitMs: 1000, timeoutMs: 10_000, batchSize: 4 },
      );
      const jsm = await jetstreamManager(bus.connection);
      await waitForAsync(async () => {
        const info = await jsm.consumers.info(name, 'long-batch');
        return (calls.length >= 4 && info.num_ack_pending === 0 && info.num_pending === 0) || undefined;
      }, 20_000);
      expect(calls).toHaveLength(4);
      expect((await jsm.consumers.info(name, 'long-batch')).num_redelivered).toBe(0);
    },
  );

  it('maxAckPending and ackWaitMs update an existing durable', async () => {
    const { bus, stream: name } = await stream(0);
    const first = await bus.consume({ stream: name, durable: 'limits' }, () => undefined);
    await first.drain();
    const again = await bus.consume({ stream: name, durable: 'limits' }, () => undefined, {
      maxAckPending: 7,
      ackWaitMs: 4000,
    });
    const info = await (await jetstreamManager(bus.connection)).consumers.info(name, 'limits');
    expect(info.config.max_ack_pending).toBe(7);
    expect(millisOf(info.config.ack_wait)).toBe(4000);
    await again.drain();
  });

  it(
    'drain: stops pulling, lets running handlers finish within the bound, hands the rest back at once',
    { timeout: 30_000 },
    async () => {
      const { bus, stream: name, ids } = await stream(10);
      const started: string[] = [];
      const sub = await bus.consume(
        { stream: name, durable: 'shared' },
        async (event) => {
          started.push(event.id);
          await new Promise(() => undefined); // hangs
        },
        { concurrency: 2, timeoutMs: 60_000 },
      );
      await waitFor(() => started.length === 2);
      await sub.drain({ timeoutMs: 300 });
      expect(started).toHaveLength(2);

      // another instance of the same durable gets all 10 now, long before the ack wait (70 s)
      const other = await fx.bus();
      const seen: string[] = [];
      await other.consume({ stream: name, durable: 'shared' }, (event) => void seen.push(event.id), {
        concurrency: 4,
        timeoutMs: 60_000,
      });
      await waitFor(() => seen.length >= 10, 10_000);
      expect(new Set(seen)).toEqual(new Set(ids));
    },
  );

  it(
    'batch drain: a hanging batch handler is bounded and its batch handed back at once',
    { timeout: 30_000 },
    async () => {
      const { bus, stream: name, ids } = await stream(6);
      let batches = 0;
      const sub = await bus.consumeBatch(
        { stream: name, durable: 'batched' },
        () => {
          batches++;
          return new Promise(() => undefined); // hangs
        },
        { batchSize: 6, timeoutMs: 60_000 },
      );
      await waitFor(() => batches === 1);
      await sub.drain({ timeoutMs: 300 });
      const other = await fx.bus();
      const seen = new Set<string>();
      await other.consume({ stream: name, durable: 'batched' }, (event) => void seen.add(event.id), {
        concurrency: 6,
      });
      await waitFor(() => seen.size === 6, 10_000);
      expect([...seen].sort()).toEqual([...ids].sort());
    },
  );
});

function millisOf(nanos: number | undefined): number {
  return Math.round((nanos ?? 0) / 1e6);
}
