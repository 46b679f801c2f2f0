import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../src/index.ts';
import { spansNamed, startFixture, waitFor, waitForAsync, type Fixture } from './fixture.ts';

let fx: Fixture;
let n = 0;
beforeAll(async () => {
  fx = await startFixture({ jetstream: true });
});
afterAll(async () => fx.close());

async function setup(): Promise<{ bus: Bus; jsm: JetStreamManager; prefix: string }> {
  n++;
  const bus = await fx.bus();
  return { bus, jsm: await jetstreamManager(bus.connection), prefix: `dl${n}` };
}

async function storedIn(jsm: JetStreamManager, stream: string, subject: string): Promise<number> {
  const info = await jsm.streams.info(stream, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

const failing = () => {
  throw new Error('always fails');
};

describe('dead letters that land, or the original stays', () => {
  it('a dead-letter subject in the same stream: the copy is stored (not deduplicated as the original id)', async () => {
    const { bus, jsm, prefix } = await setup();
    const stream = `${prefix.toUpperCase()}`;
    await bus.ensureStream({ name: stream, subjects: [`${prefix}.>`], storage: 'memory' });
    await bus.consume({ stream, durable: 'same', filterSubject: `${prefix}.orders` }, failing, {
      maxDeliver: 1,
      deadLetterSubject: `${prefix}.dead`,
    });
    const { id } = await bus.publish(`${prefix}.orders`, { type: 't' }, { jetstream: true });

    await waitForAsync(async () => (await storedIn(jsm, stream, `${prefix}.dead`)) === 1 || undefined, 20_000);
    const copy = await jsm.streams.getMessage(stream, { last_by_subj: `${prefix}.dead` });
    expect(JSON.parse(copy!.string()).id).toBe(id);
    expect(copy!.header.get('Natsbus-Original-Msg-Id')).toBe(id);
    expect(copy!.header.get('Nats-Msg-Id')).toBe(`natsbus-dl:${stream}:same:1`);
    expect(copy!.header.get('Natsbus-Original-Consumer')).toBe('same');
    const span = spansNamed(fx.telemetry, `publish ${prefix}.dead`)[0];
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('two durables dead-lettering the same event into one stream: two stored copies', async () => {
    const { bus, jsm, prefix } = await setup();
    const stream = prefix.toUpperCase();
    await bus.ensureStream({ name: stream, subjects: [`${prefix}.in`], storage: 'memory' });
    await bus.ensureStream({ name: `${stream}_DLQ`, subjects: [`${prefix}.dlq`], storage: 'memory' });
    for (const durable of ['first', 'second']) {
      await bus.consume({ stream, durable }, failing, { maxDeliver: 1, deadLetterSubject: `${prefix}.dlq` });
    }
    await bus.publish(`${prefix}.in`, { type: 't' }, { jetstream: true });

    await waitForAsync(async () => (await jsm.streams.info(`${stream}_DLQ`)).state.messages === 2 || undefined, 20_000);
    const consumers = await Promise.all(
      [1, 2].map(async (seq) =>
        (await jsm.streams.getMessage(`${stream}_DLQ`, { seq }))!.header.get('Natsbus-Original-Consumer'),
      ),
    );
    expect(consumers.sort()).toEqual(['first', 'second']);
    for (const durable of ['first', 'second']) {
      await waitForAsync(async () => (await jsm.consumers.info(stream, durable)).num_ack_pending === 0 || undefined);
    }
  });

  it('a copy that cannot be stored: the original is naked and stays, the span is ERROR; it lands once the stream is back', async () => {
    const { bus, jsm, prefix } = await setup();
    const stream = prefix.toUpperCase();
    const dlqStream = `${stream}_DLQ`;
    await bus.ensureStream({ name: stream, subjects: [`${prefix}.in`], storage: 'memory' });
    await bus.ensureStream({ name: dlqStream, subjects: [`${prefix}.dlq`], storage: 'memory' });
    const deliveries: number[] = [];
    await bus.consume(
      { stream, durable: 'stays' },
      (_e, ctx) => {
        deliveries.push(ctx.jetstream!.deliveryCount);
        throw new Error('always fails');
      },
      { maxDeliver: 1, backoffMs: 200, deadLetterSubject: `${prefix}.dlq` },
    );
    await jsm.streams.delete(dlqStream); // the dead-letter stream goes away after the consumer started
    await bus.publish(`${prefix}.in`, { type: 't' }, { jetstream: true });

    const failed = await waitFor(() =>
      spansNamed(fx.telemetry, `publish ${prefix}.dlq`).find((s) => s.status.code === SpanStatusCode.ERROR),
    );
    expect(failed.attributes['natsbus.dead_letter.reason']).toBe('max_deliver');
    // not termed: the original is still in the stream and comes back
    await waitFor(() => deliveries.length >= 1);
    await waitForAsync(
      async () => (await jsm.consumers.info(stream, 'stays')).num_redelivered > 0 || undefined,
      20_000,
    );
    expect((await jsm.streams.info(stream)).state.messages).toBe(1);

    await bus.ensureStream({ name: dlqStream, subjects: [`${prefix}.dlq`], storage: 'memory' });
    await waitForAsync(async () => (await jsm.streams.info(dlqStream)).state.messages === 1 || undefined, 20_000);
    await waitForAsync(async () => {
      const info = await jsm.consumers.info(stream, 'stays');
      return (info.num_ack_pending === 0 && info.num_pending === 0) || undefined;
    }, 20_000);
    expect((await jsm.streams.info(dlqStream)).state.messages).toBe(1);
  });
});
