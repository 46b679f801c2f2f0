import type { Msg } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parentOf, spansNamed, startFixture, uniqueSubject, waitFor, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ jetstream: true });
});
afterAll(async () => fx.close());

/** The one finished span with this name, once it is there. */
function oneSpan(name: string): Promise<ReadableSpan> {
  return waitFor(() => {
    const found = spansNamed(fx.telemetry, name);
    return found.length === 1 ? found[0] : undefined;
  });
}

/** Collects what arrives on `subject` through a plain NATS subscription. */
async function collect(subject: string): Promise<Msg[]> {
  const bus = await fx.bus();
  const dead: Msg[] = [];
  bus.connection.subscribe(subject, { callback: (_e, msg) => void dead.push(msg) });
  await bus.flush();
  return dead;
}

function expectChildOf(child: ReadableSpan, parent: ReadableSpan): void {
  expect(child.kind).toBe(SpanKind.PRODUCER);
  expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
  expect(parentOf(child)).toBe(parent.spanContext().spanId);
}

describe('dead-letter PRODUCER span', () => {
  it('is a child of the failing CONSUMER span, in the publisher trace', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('dlspan');
    const dlq = `${subject}-dlq`;
    const dead = await collect(dlq);
    bus.subscribe(
      subject,
      () => {
        throw new Error('handler broke');
      },
      { deadLetterSubject: dlq },
    );
    await bus.flush();
    await bus.publish(subject, { type: 'order.created', data: { n: 1 } });
    await bus.flush();
    await waitFor(() => dead.length === 1);

    const send = await oneSpan(`publish ${subject}`);
    const failed = await oneSpan(`process ${subject}`);
    const toDlq = await oneSpan(`publish ${dlq}`);
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(parentOf(failed)).toBe(send.spanContext().spanId);
    expectChildOf(toDlq, failed);
    expect(toDlq.attributes['messaging.destination.name']).toBe(dlq);
    expect(toDlq.attributes['messaging.operation.type']).toBe('send');
    expect(toDlq.attributes['natsbus.dead_letter.reason']).toBe('handler_error');
    expect(toDlq.status.code).not.toBe(SpanStatusCode.ERROR);
    // the copy is still the original bytes and headers plus the reason
    expect(dead[0]!.headers?.get('Natsbus-Dead-Letter-Reason')).toBe('handler_error');
  });

  it('is a child of the ERROR span of a refused message', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('dlbad');
    const dlq = `${subject}-dlq`;
    const dead = await collect(dlq);
    bus.subscribe(subject, () => undefined, { deadLetterSubject: dlq });
    await bus.flush();
    bus.connection.publish(subject, 'not json');
    await waitFor(() => dead.length === 1);
    const refused = await oneSpan(`process ${subject}`);
    const toDlq = await oneSpan(`publish ${dlq}`);
    expect(refused.status.code).toBe(SpanStatusCode.ERROR);
    expectChildOf(toDlq, refused);
    expect(toDlq.attributes['natsbus.dead_letter.reason']).toBe('invalid_json');
  });

  it('JetStream: is a child of the last failed delivery after maxDeliver', async () => {
    const bus = await fx.bus();
    const prefix = uniqueSubject('dljs').replace('.', '_');
    await bus.ensureStream({ name: prefix.toUpperCase(), subjects: [`${prefix}.>`], storage: 'memory' });
    const dlq = `${prefix}-dlq`;
    const dead = await collect(dlq);
    await bus.consume(
      { stream: prefix.toUpperCase(), durable: 'dl' },
      () => {
        throw new Error('always fails');
      },
      { maxDeliver: 2, backoffMs: [50], deadLetterSubject: dlq },
    );
    await bus.publish(`${prefix}.x`, { type: 't', data: 1 }, { jetstream: true });
    await waitFor(() => dead.length === 1, 20_000);
    const toDlq = await oneSpan(`publish ${dlq}`);
    const failed = spansNamed(fx.telemetry, `process ${prefix}.x`);
    expect(failed).toHaveLength(2);
    const last = failed.find((s) => s.attributes['messaging.nats.delivery.count'] === 2)!;
    expectChildOf(toDlq, last);
    expect(toDlq.attributes['natsbus.dead_letter.reason']).toBe('max_deliver');
  });
});
