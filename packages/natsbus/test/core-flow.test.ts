import { connect } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixture, uniqueSubject, waitFor, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => fx.close());

const event = (i: number, pad: string) =>
  JSON.stringify({ specversion: '1.0', id: `e${i}`, source: '/flood', type: 'flood', data: pad });

describe('core subscriber flow control', () => {
  it(
    'a flooded slow subscriber keeps its bound, drops and reports the overflow, accounts for every message',
    { timeout: 60_000 },
    async () => {
      const bus = await fx.bus();
      const subject = uniqueSubject('flood');
      let handled = 0;
      const sub = bus.subscribe(
        subject,
        async () => {
          await sleep(20);
          handled++;
        },
        { maxPendingMessages: 200, maxPendingBytes: 1024 * 1024 },
      );
      await bus.flush();
      const publisher = await connect({ servers: fx.server.url });
      const total = 20_000;
      const pad = 'x'.repeat(1000);
      let most = 0;
      for (let i = 0; i < total; i++) {
        publisher.publish(subject, event(i, pad));
        if (i % 1000 === 999) {
          await publisher.flush();
          most = Math.max(most, bus.status().subscriptions[0]!.pending);
        }
      }
      await publisher.flush();
      await publisher.close();
      await bus.flush();

      const status = await waitFor(() => {
        const s = bus.status().subscriptions.find((x) => x.name === subject)!;
        return s.handled + s.dropped === total && s.pending === 0 && s.running === 0 ? s : undefined;
      }, 30_000);
      expect(most).toBeLessThanOrEqual(200);
      expect(status.dropped).toBeGreaterThan(0);
      expect(status.handled).toBe(handled);
      expect(status.pendingBytes).toBe(0);
      const metrics = await fx.telemetry.prometheusText();
      const line = metrics
        .split('\n')
        .find((l) => l.startsWith('natsbus_messages_dropped_total') && l.includes(`natsbus_subscription="${subject}"`));
      expect(line).toContain('error_type="slow_consumer"');
      expect(Number(line!.split(' ').pop())).toBe(status.dropped);
      sub.unsubscribe();
    },
  );

  it('the byte bound holds too', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('bytes');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    bus.subscribe(subject, () => gate, { maxPendingMessages: 1000, maxPendingBytes: 10_000 });
    await bus.flush();
    const pad = 'y'.repeat(2000);
    for (let i = 0; i < 20; i++) bus.connection.publish(subject, event(i, pad));
    await bus.flush();
    const status = await waitFor(() => {
      const s = bus.status().subscriptions.find((x) => x.name === subject)!;
      return s.running + s.pending + s.dropped === 20 ? s : undefined;
    });
    expect(status.pendingBytes).toBeLessThanOrEqual(10_000);
    expect(status.pending).toBeLessThan(5);
    expect(status.dropped).toBeGreaterThan(14);
    release();
  });

  it('concurrency runs that many handlers at once, default one in order', async () => {
    const bus = await fx.bus();
    const parallel = uniqueSubject('par');
    const ordered = uniqueSubject('ord');
    let running = 0;
    let most = 0;
    const order: string[] = [];
    bus.subscribe(
      parallel,
      async () => {
        most = Math.max(most, ++running);
        await sleep(50);
        running--;
      },
      { concurrency: 4 },
    );
    bus.subscribe(ordered, async (e) => {
      await sleep(Math.random() * 10);
      order.push(e.id);
    });
    await bus.flush();
    for (let i = 0; i < 12; i++) {
      bus.connection.publish(parallel, event(i, ''));
      bus.connection.publish(ordered, event(i, ''));
    }
    await bus.flush();
    await waitFor(() => order.length === 12 && bus.status().subscriptions.every((s) => s.handled === 12));
    expect(most).toBe(4);
    expect(order).toEqual(Array.from({ length: 12 }, (_, i) => `e${i}`));
  });

  it('close() is bounded: a hanging handler does not hold it, what still waits is dropped and counted', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('hang');
    let started = 0;
    bus.subscribe(subject, () => {
      started++;
      return new Promise(() => undefined);
    });
    await bus.flush();
    for (let i = 0; i < 5; i++) bus.connection.publish(subject, event(i, ''));
    await bus.flush();
    await waitFor(() => bus.status().subscriptions[0]!.pending === 4);
    const before = bus.status().subscriptions[0]!;
    expect(bus.status()).toMatchObject({ connected: true, closing: false });
    await bus.close({ timeoutMs: 200 });
    expect(bus.status()).toMatchObject({ connected: false, closing: true, subscriptions: [] });
    expect(started).toBe(1);
    expect(before.running).toBe(1);
    const metrics = await fx.telemetry.prometheusText();
    expect(metrics).toMatch(
      new RegExp(
        `natsbus_messages_dropped_total\\{[^}]*error_type="shutdown"[^}]*natsbus_subscription="${subject}"[^}]*\\} 4`,
      ),
    );
  });

  it('a handler past its timeout has its signal aborted, so it can stop the work nobody waits for', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('abort');
    const seen: { aborted: boolean; reason: string | undefined }[] = [];
    let cleanedUp = false;
    bus.subscribe(
      subject,
      async (event, ctx) => {
        if (event.type === 'quick') {
          seen.push({ aborted: ctx.signal.aborted, reason: undefined });
          return;
        }
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        seen.push({ aborted: ctx.signal.aborted, reason: (ctx.signal.reason as Error).name });
        cleanedUp = true;
      },
      { timeoutMs: 200 },
    );
    await bus.flush();
    await bus.publish(subject, { type: 'hang' });
    await bus.publish(subject, { type: 'quick' });
    await waitFor(() => cleanedUp && seen.length === 2);
    expect(seen).toHaveLength(2);
    expect(seen).toContainEqual({ aborted: true, reason: 'HandlerTimeoutError' });
    expect(seen).toContainEqual({ aborted: false, reason: undefined });
  });
});
