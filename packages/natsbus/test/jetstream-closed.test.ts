import { SpanStatusCode } from '@opentelemetry/api';
import { jetstreamManager } from '@nats-io/jetstream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  captureEscapes,
  captureLogs,
  spansNamed,
  startFixture,
  waitFor,
  waitForAsync,
  type Fixture,
} from './fixture.ts';

// The connection closes underneath a consumer (here: closed from the handler, as when nats.js gives
// up reconnecting). nats.js 3 then drops ack, nak, term and progress messages without throwing (a
// message's respond() bypasses the closed check), so the server redelivers after the ack wait; the
// dead-letter publish does fail. Nothing may escape as an uncaught exception or unhandled
// rejection, and nothing the closed instance held may be lost.

let fx: Fixture;
let n = 0;
let logs: ReturnType<typeof captureLogs>;
let escapes: ReturnType<typeof captureEscapes>;

beforeAll(async () => {
  fx = await startFixture({ jetstream: true });
});
afterAll(async () => fx.close());
beforeEach(() => {
  logs = captureLogs('warn');
  escapes = captureEscapes();
});
afterEach(() => {
  escapes.stop();
  logs.restore();
});

async function stream() {
  n++;
  const bus = await fx.bus();
  const name = `CLOSED${n}`;
  await bus.ensureStream({ name, subjects: [`closed${n}.>`], storage: 'memory' });
  return { bus, name, subject: `closed${n}.job` };
}

const logged = (text: string) => logs.logged(text);

/** The durable's next `count` deliveries, taken by a fresh instance: what the closed one held was not lost. */
async function nextDeliveries(name: string, durable: string, count: number): Promise<string[]> {
  const bus = await fx.bus();
  const got: string[] = [];
  await bus.consume(
    { stream: name, durable },
    (event, ctx) => void got.push(`${event.type} #${ctx.jetstream!.deliveryCount}`),
    { maxDeliver: 10 },
  );
  await waitFor(() => got.length >= count);
  return got.sort();
}

describe('a JetStream consumer whose connection closes', () => {
  it('a handler still running when the connection closes: nothing escapes, the message comes back', async () => {
    const { bus, name, subject } = await stream();
    let finished = false;
    await bus.consume(
      { stream: name, durable: 'long' },
      async () => {
        await bus.connection.close();
        await sleep(1200); // several progress ticks (a third of the 1 s ack wait) on a closed connection
        finished = true;
      },
      { ackWaitMs: 1000 },
    );
    await bus.publish(subject, { type: 'job' }, { jetstream: true });
    await waitFor(() => finished);
    expect(await nextDeliveries(name, 'long', 1)).toEqual(['job #2']);
    expect(escapes.escaped).toEqual([]);
  });

  it('the last delivery fails after the connection closed: dead-letter span ERROR, the message comes back and lands', async () => {
    const { bus, name, subject } = await stream();
    await bus.ensureStream({ name: `${name}_DLQ`, subjects: [`dlq${n}.>`], storage: 'memory' });
    let calls = 0;
    await bus.consume(
      { stream: name, durable: 'last' },
      async () => {
        calls++;
        await bus.connection.close();
        throw new Error('failed on its last delivery');
      },
      { maxDeliver: 1, deadLetterSubject: `dlq${n}.job`, ackWaitMs: 1000 },
    );
    await bus.publish(subject, { type: 'job' }, { jetstream: true });
    await waitFor(() => logged('could not dead-letter').length > 0);
    const [dead] = spansNamed(fx.telemetry, `publish dlq${n}.job`);
    expect(dead?.status.code).toBe(SpanStatusCode.ERROR);
    expect(calls).toBe(1);
    // another instance gets it (past maxDeliver: given up without a handler call) and its copy lands
    const next = await fx.bus();
    await next.consume({ stream: name, durable: 'last' }, () => void calls++, {
      maxDeliver: 1,
      deadLetterSubject: `dlq${n}.job`,
    });
    const jsm = await jetstreamManager(next.connection);
    await waitForAsync(async () => (await jsm.streams.info(`${name}_DLQ`)).state.messages === 1);
    expect(calls).toBe(1);
    expect(escapes.escaped).toEqual([]);
  });

  it('a message past maxDeliver that starts after the connection closed: given up, its term lost, it comes back', async () => {
    const { bus, name, subject } = await stream();
    // X is delivered to another instance of the durable, whose handler hangs until its drain
    // hands X back (nak): X returns with delivery count 2, past maxDeliver 1
    const other = await fx.bus();
    let held = false;
    const otherSub = await other.consume(
      { stream: name, durable: 'past' },
      async () => {
        held = true;
        await new Promise(() => undefined);
      },
      { ackWaitMs: 1000 },
    );
    const x = await bus.publish(subject, { type: 'x' }, { jetstream: true });
    await waitFor(() => held);
    const calls: string[] = [];
    const pending = () => bus.status().subscriptions.find((s) => s.name === 'past')?.pending ?? 0;
    await bus.consume(
      { stream: name, durable: 'past' },
      async (event) => {
        calls.push(event.type);
        if (event.type !== 'slow') return;
        await waitFor(() => pending() === 1); // X came back and waits behind this handler
        await bus.connection.close();
      },
      { maxDeliver: 1 },
    );
    // a quick first message gives the consumer a handler time, so it pulls ahead of its free slot
    await bus.publish(subject, { type: 'warm' }, { jetstream: true });
    await waitFor(() => calls.length === 1);
    await bus.publish(subject, { type: 'slow' }, { jetstream: true });
    await waitFor(() => calls.length === 2);
    await otherSub.drain({ timeoutMs: 100 });
    await waitFor(() => logged('gave up on a message').length > 0);
    expect(logged('gave up on a message').map((line) => line.seq)).toEqual([x.seq]);
    expect(calls).toEqual(['warm', 'slow']);
    // neither the term nor the ack reached the server: the next instance sees both again
    expect(await nextDeliveries(name, 'past', 2)).toEqual(['slow #2', 'x #3']);
    expect(escapes.escaped).toEqual([]);
  });
});
