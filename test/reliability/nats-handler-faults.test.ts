// Handlers that throw, reject or hang past their timeout in a JetStream consumer: each bad event is
// redelivered up to maxDeliver, then dead-lettered (stored in a DLQ stream, reason max_deliver), a
// flaky event succeeds on redelivery, and the good events around them are all processed once.
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  createBus,
  HEADER_DEAD_LETTER_DETAIL,
  HEADER_DEAD_LETTER_REASON,
  HEADER_DELIVERY_COUNT,
  HEADER_ORIGINAL_SUBJECT,
  type Bus,
} from '@service-runtime/natsbus';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.ts';
import { waitUntil } from './nats-tally.ts';

type Kind = 'good' | 'throw' | 'reject' | 'hang' | 'flaky';

let server: NatsServer;
let telemetry: TestTelemetry;
let bus: Bus;

beforeAll(async () => {
  process.env['LOG_LEVEL'] ??= 'silent';
  telemetry = setupTestTelemetry({ serviceName: 'reliability-handlers' });
  server = await startNatsServer({ jetstream: true });
  bus = await createBus({ servers: server.url, source: '/faults', closeOnShutdown: false });
});

afterAll(async () => {
  await bus?.close();
  await server?.close();
  await telemetry?.shutdown();
});

describe('JetStream handlers that throw, reject or hang', () => {
  it('redelivers, dead-letters after maxDeliver and keeps going', { timeout: 60_000 }, async () => {
    await bus.ensureStream({ name: 'WORK', subjects: ['work.>'], storage: 'memory' });
    await bus.ensureStream({ name: 'DLQ', subjects: ['dlq.work'], storage: 'memory' });
    const attempts = new Map<string, number[]>();
    const done = new Map<string, number>();
    const kinds = new Map<string, Kind>();
    await bus.consume<{ kind: Kind }>(
      { stream: 'WORK', durable: 'worker' },
      (event, ctx): Promise<void> | void => {
        const kind = event.data!.kind;
        attempts.set(event.id, [...(attempts.get(event.id) ?? []), ctx.jetstream!.deliveryCount]);
        if (kind === 'throw') throw new Error('handler threw'); // synchronous throw
        if (kind === 'reject') return Promise.reject(new Error('handler rejected'));
        if (kind === 'hang') return new Promise<void>(() => undefined);
        if (kind === 'flaky' && ctx.jetstream!.deliveryCount < 2) return Promise.reject(new Error('flaky, once'));
        return sleep(1).then(() => void done.set(event.id, (done.get(event.id) ?? 0) + 1));
      },
      { maxDeliver: 3, backoffMs: 100, timeoutMs: 500, deadLetterSubject: 'dlq.work' },
    );

    const plan: Kind[] = [];
    for (let i = 0; i < 20; i++) plan.push('good');
    plan.push('throw', 'reject', 'hang', 'flaky');
    for (let i = 0; i < 30; i++) plan.push(i % 10 === 5 ? 'flaky' : 'good');
    plan.push('hang', 'throw');
    for (let i = 0; i < 30; i++) plan.push('good');
    for (const [i, kind] of plan.entries()) {
      const { id } = await bus.publish(`work.${kind}`, { type: 'work.item', data: { kind, i } }, { jetstream: true });
      kinds.set(id, kind);
    }
    const ids = (wanted: (k: Kind) => boolean) => [...kinds].filter(([, k]) => wanted(k)).map(([id]) => id);
    const succeeding = ids((k) => k === 'good' || k === 'flaky');
    const failing = ids((k) => k === 'throw' || k === 'reject' || k === 'hang');

    const jsm = await jetstreamManager(bus.connection);
    await waitUntil(
      () => succeeding.every((id) => done.has(id)),
      45_000,
      () => `${succeeding.filter((id) => done.has(id)).length} of ${succeeding.length} good events processed`,
    );
    await waitUntil(
      () => failing.every((id) => (attempts.get(id)?.length ?? 0) >= 3),
      30_000,
      () => 'bad events not retried maxDeliver times',
    );
    let dead = 0;
    for (let i = 0; i < 200 && dead < failing.length; i++) {
      dead = (await jsm.streams.info('DLQ')).state.messages;
      if (dead < failing.length) await sleep(100);
    }

    // every good event once; the flaky ones on their second delivery
    expect(succeeding.every((id) => done.get(id) === 1)).toBe(true);
    for (const id of ids((k) => k === 'flaky')) expect(attempts.get(id)).toEqual([1, 2]);
    // every bad event exactly maxDeliver times, then dead-lettered with the reason
    for (const id of failing) expect(attempts.get(id)).toEqual([1, 2, 3]);
    expect(dead).toBe(failing.length);
    const letters = new Map<string, { reason?: string; detail?: string; count?: string; subject?: string }>();
    for (let seq = 1; seq <= dead; seq++) {
      const msg = await jsm.streams.getMessage('DLQ', { seq });
      const event = msg!.json<{ id: string }>();
      letters.set(event.id, {
        reason: msg!.header.get(HEADER_DEAD_LETTER_REASON),
        detail: msg!.header.get(HEADER_DEAD_LETTER_DETAIL),
        count: msg!.header.get(HEADER_DELIVERY_COUNT),
        subject: msg!.header.get(HEADER_ORIGINAL_SUBJECT),
      });
    }
    expect(new Set(letters.keys())).toEqual(new Set(failing));
    for (const id of failing) {
      const letter = letters.get(id)!;
      expect(letter).toMatchObject({ reason: 'max_deliver', count: '3', subject: `work.${kinds.get(id)}` });
      const expected = { throw: 'handler threw', reject: 'handler rejected', hang: 'did not settle within 500 ms' };
      expect(letter.detail).toContain(expected[kinds.get(id) as 'throw' | 'reject' | 'hang']);
    }

    // nothing left pending or unacked on the work consumer
    let info = await jsm.consumers.info('WORK', 'worker');
    for (let i = 0; i < 100 && (info.num_pending > 0 || info.num_ack_pending > 0); i++) {
      await sleep(100);
      info = await jsm.consumers.info('WORK', 'worker');
    }
    expect(info.num_pending).toBe(0);
    expect(info.num_ack_pending).toBe(0);

    // each failed attempt is a CONSUMER span with status ERROR and the reason
    const failed = telemetry
      .spans()
      .filter((s) => s.name.startsWith('process work.') && s.status.code === SpanStatusCode.ERROR);
    const types = failed.map((s) => s.attributes['error.type']);
    expect(types.filter((t) => t === 'handler_timeout').length).toBe(2 * 3);
    expect(failed.length).toBe(failing.length * 3 + ids((k) => k === 'flaky').length);
  });
});
