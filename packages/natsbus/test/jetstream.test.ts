import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Msg } from '@nats-io/transport-node';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotent, type CloudEvent } from '../src/index.ts';
import { parentOf, spansNamed, startFixture, waitFor, type Fixture } from './fixture.ts';

let fx: Fixture;
let n = 0;
beforeAll(async () => {
  fx = await startFixture({ jetstream: true });
});
afterAll(async () => fx.close());

/** A fresh stream `S<n>` on subjects `js<n>.>`. */
async function freshStream() {
  n++;
  const bus = await fx.bus();
  const stream = `S${n}`;
  await bus.ensureStream({ name: stream, subjects: [`js${n}.>`], storage: 'memory' });
  return { bus, stream, prefix: `js${n}` };
}

describe('JetStream', () => {
  it('awaits the PubAck, dedupes a re-published id and acks after the handler succeeds', async () => {
    const { bus, stream, prefix } = await freshStream();
    const first = await bus.publish(`${prefix}.a`, { type: 't', data: 1 }, { jetstream: true });
    expect(first.stream).toBe(stream);
    expect(first.duplicate).toBe(false);
    const again = await bus.publish(`${prefix}.a`, { type: 't', id: first.id, data: 1 }, { jetstream: true });
    expect(again.duplicate).toBe(true);

    const seen: CloudEvent[] = [];
    await bus.consume({ stream, durable: 'd1' }, (event) => void seen.push(event));
    await waitFor(() => seen.length === 1);
    const jsm = await jetstreamManager(bus.connection);
    let acked = false;
    for (let i = 0; i < 100 && !acked; i++) {
      const info = await jsm.consumers.info(stream, 'd1');
      acked = info.num_ack_pending === 0 && info.ack_floor.stream_seq === 1 && info.num_pending === 0;
      if (!acked) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(acked).toBe(true);
    const producer = spansNamed(fx.telemetry, `publish ${prefix}.a`)[0]!;
    const consumer = await waitFor(() => spansNamed(fx.telemetry, `process ${prefix}.a`)[0]);
    expect(consumer.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(parentOf(consumer)).toBe(producer.spanContext().spanId);
    expect(consumer.attributes).toMatchObject({
      'messaging.consumer.group.name': 'd1',
      'messaging.nats.stream.name': stream,
      'messaging.nats.stream.sequence': 1,
      'messaging.nats.delivery.count': 1,
    });
  });

  it('naks with backoff, then terms and dead-letters after maxDeliver', async () => {
    const { bus, stream, prefix } = await freshStream();
    const dlq = `${prefix}-dlq`;
    const dead: Msg[] = [];
    bus.connection.subscribe(dlq, { callback: (_e, msg) => void dead.push(msg) });
    await bus.flush();
    const attempts: { at: number; count: number }[] = [];
    await bus.consume(
      { stream, durable: 'retry' },
      (_event, ctx) => {
        attempts.push({ at: Date.now(), count: ctx.jetstream!.deliveryCount });
        throw new Error('always fails');
      },
      { maxDeliver: 3, backoffMs: [200, 400], deadLetterSubject: dlq },
    );
    const { id } = await bus.publish(`${prefix}.x`, { type: 't', data: 'payload' }, { jetstream: true });
    await waitFor(() => dead.length === 1, 20_000);
    expect(attempts.map((a) => a.count)).toEqual([1, 2, 3]);
    // the redeliveries waited for the backoff (no upper bound asserted: the machine may be slow)
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(150);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(350);
    const copy = dead[0]!;
    expect(JSON.parse(copy.string())).toMatchObject({ id, data: 'payload' });
    expect(copy.headers?.get('Natsbus-Dead-Letter-Reason')).toBe('max_deliver');
    expect(copy.headers?.get('Natsbus-Original-Subject')).toBe(`${prefix}.x`);
    expect(copy.headers?.get('Natsbus-Original-Stream')).toBe(stream);
    expect(copy.headers?.get('Natsbus-Delivery-Count')).toBe('3');
    const failed = spansNamed(fx.telemetry, `process ${prefix}.x`);
    expect(failed).toHaveLength(3);
    expect(failed.every((s) => s.status.code === SpanStatusCode.ERROR)).toBe(true);
  });

  it('dead-letters a bad message at once and goes on with the next one', async () => {
    const { bus, stream, prefix } = await freshStream();
    const dlq = `${prefix}-dlq`;
    const dead: Msg[] = [];
    bus.connection.subscribe(dlq, { callback: (_e, msg) => void dead.push(msg) });
    await bus.flush();
    const seen: CloudEvent[] = [];
    await bus.consume({ stream, durable: 'bad' }, (event) => void seen.push(event), { deadLetterSubject: dlq });
    const js = jetstream(bus.connection);
    await js.publish(`${prefix}.bad`, 'not json at all');
    await bus.publish(`${prefix}.good`, { type: 'good' }, { jetstream: true });
    await waitFor(() => seen.length === 1 && dead.length === 1);
    expect(dead[0]!.string()).toBe('not json at all');
    expect(dead[0]!.headers?.get('Natsbus-Dead-Letter-Reason')).toBe('invalid_json');
    expect(seen[0]!.type).toBe('good');
  });

  it('stores dead letters in a stream that captures the dead-letter subject', async () => {
    const { bus, stream, prefix } = await freshStream();
    await bus.ensureStream({ name: `${stream}DLQ`, subjects: [`dlq.${prefix}`], storage: 'memory' });
    await bus.consume({ stream, durable: 'to-stream' }, () => undefined, { deadLetterSubject: `dlq.${prefix}` });
    await jetstream(bus.connection).publish(`${prefix}.bad`, '{"specversion":"9.9"}');
    const jsm = await jetstreamManager(bus.connection);
    let stored = 0;
    for (let i = 0; i < 100 && stored === 0; i++) {
      stored = (await jsm.streams.info(`${stream}DLQ`)).state.messages;
      if (stored === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stored).toBe(1);
    const copy = await jsm.streams.getMessage(`${stream}DLQ`, { seq: 1 });
    expect(copy?.string()).toBe('{"specversion":"9.9"}');
    expect(copy?.header.get('Natsbus-Dead-Letter-Reason')).toBe('unsupported_specversion');
  });

  it('handles a fetched batch in one span linked to every message', async () => {
    const { bus, stream, prefix } = await freshStream();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await bus.publish(`${prefix}.b`, { type: 't', data: i }, { jetstream: true })).id);
    const batches: CloudEvent[][] = [];
    await bus.consumeBatch(
      { stream, durable: 'batch', filterSubject: `${prefix}.b` },
      (events) => void batches.push(events),
      {
        batchSize: 5,
      },
    );
    await waitFor(() => batches.flat().length === 5);
    const producers = spansNamed(fx.telemetry, `publish ${prefix}.b`);
    const batchSpans = await waitFor(() => {
      const found = spansNamed(fx.telemetry, `process ${prefix}.b`);
      return found.length === batches.length ? found : undefined;
    });
    const links = batchSpans.flatMap((s) => s.links.map((l) => l.context.spanId));
    expect(links.sort()).toEqual(producers.map((p) => p.spanContext().spanId).sort());
    const total = batchSpans.reduce((sum, s) => sum + Number(s.attributes['messaging.batch.message_count']), 0);
    expect(total).toBe(5);
    const first = batchSpans[0]!;
    expect(first.attributes['messaging.nats.batch.first_sequence']).toBe(1);
    expect(Number(batchSpans.at(-1)!.attributes['messaging.nats.batch.last_sequence'])).toBe(5);
  });

  it('idempotent() skips an event id handled within the window', async () => {
    const { bus, stream, prefix } = await freshStream();
    const handled: string[] = [];
    await bus.consume(
      { stream, durable: 'idem' },
      idempotent((event) => void handled.push(event.id)),
    );
    // two distinct stream messages carrying the same CloudEvent id (outside the server's dedupe)
    const js = jetstream(bus.connection);
    const body = JSON.stringify({ specversion: '1.0', id: 'same', source: '/x', type: 't' });
    await js.publish(`${prefix}.i`, body);
    await js.publish(`${prefix}.i`, body);
    await bus.publish(`${prefix}.i`, { type: 't', id: 'other', source: '/x' }, { jetstream: true });
    await waitFor(() => handled.includes('other'));
    expect(handled).toEqual(['same', 'other']);
  });
});
