import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { termReasonUnderstood } from '../src/jetstream-settle.ts';
import { startFixture, waitFor, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ jetstream: true });
});
afterAll(async () => fx.close());

const server = (version: string) => ({ info: { version } }) as unknown as NatsConnection;

describe('term after giving up', () => {
  it('sends a reason only to servers that understand `+TERM <reason>` (2.10.4+)', () => {
    expect(termReasonUnderstood(server('2.9.10'))).toBe(false);
    expect(termReasonUnderstood(server('2.10.3'))).toBe(false);
    expect(termReasonUnderstood(server('2.10.4'))).toBe(true);
    expect(termReasonUnderstood(server('2.11.0-RC.1'))).toBe(true);
    expect(termReasonUnderstood(server('3.0.0'))).toBe(true);
    expect(termReasonUnderstood({} as NatsConnection)).toBe(false);
  });

  it('leaves nothing ack-pending once a message is dead-lettered', async () => {
    const bus = await fx.bus();
    await bus.ensureStream({ name: 'TERM', subjects: ['term.>'], storage: 'memory' });
    let attempts = 0;
    await bus.consume(
      { stream: 'TERM', durable: 'term' },
      () => {
        attempts++;
        throw new Error('no');
      },
      { maxDeliver: 1, deadLetterSubject: 'term-dlq' },
    );
    await bus.publish('term.a', { type: 't' }, { jetstream: true });
    await waitFor(() => attempts === 1);
    const jsm = await jetstreamManager(bus.connection);
    let info = await jsm.consumers.info('TERM', 'term');
    for (let i = 0; i < 50 && info.num_ack_pending > 0; i++) {
      await sleep(100);
      info = await jsm.consumers.info('TERM', 'term');
    }
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });
});
