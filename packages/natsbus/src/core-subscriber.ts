import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { CoreMessage } from './core-message.ts';
import { publishDeadLetter, type DeadLetterTarget } from './dead-letter.ts';
import type { RawMessage } from './internal-types.ts';
import type { MessageProcessor, Outcome } from './message-processor.ts';
import type { BusSubscription } from './types.ts';

/** What a core subscription does after each message (dead letters, replies). */
export type AfterMessage = (msg: Msg, raw: RawMessage, outcome: Outcome) => void;

/**
 * A core NATS subscription that processes messages in arrival order, one at a time. Synchronous
 * handlers run straight from the socket callback; while an async handler is pending, later
 * messages wait in a queue, and the processor's timeout bounds how long that can last.
 */
export function subscribeCore(
  nc: NatsConnection,
  subject: string,
  queue: string | undefined,
  processor: MessageProcessor,
  after: AfterMessage,
  replies = false,
): BusSubscription & { sub: Subscription } {
  const waiting: Msg[] = [];
  let busy = false;
  let idle: (() => void) | undefined;

  // nats.js decodes the subject of every message on access; a literal subscription knows it already
  const literal = !subject.includes('*') && !subject.includes('>');
  const run = (msg: Msg): void => {
    const raw: RawMessage = new CoreMessage(msg, literal ? subject : msg.subject, replies);
    const outcome = processor.process(raw);
    if (!(outcome instanceof Promise)) {
      after(msg, raw, outcome);
      return;
    }
    busy = true;
    void outcome.then((settled) => {
      after(msg, raw, settled);
      busy = false;
      while (!busy && waiting.length > 0) run(waiting.shift()!);
      if (!busy && idle !== undefined) idle();
    });
  };

  const sub = nc.subscribe(subject, {
    ...(queue !== undefined ? { queue } : {}),
    callback: (error, msg) => {
      if (error !== null) return;
      if (busy) waiting.push(msg);
      else run(msg);
    },
  });

  return {
    sub,
    unsubscribe() {
      sub.unsubscribe();
      processor.stop();
    },
    async drain() {
      if (!sub.isClosed()) await sub.drain();
      if (busy) await new Promise<void>((resolve) => (idle = resolve));
      processor.stop();
    },
  };
}

/** The usual `after`: failed or refused messages go to the dead-letter subject when there is one. */
export function deadLetterAfter(
  nc: NatsConnection,
  deadLetterSubject: string | undefined,
  subscription: string,
): AfterMessage {
  if (deadLetterSubject === undefined) return () => undefined;
  const target: DeadLetterTarget = { nc, js: undefined, subject: deadLetterSubject, consumer: subscription };
  return (_msg, raw, outcome) => {
    if (outcome.ok) return;
    void publishDeadLetter(target, raw, outcome.reason, outcome.error.message, outcome.spanContext);
  };
}
