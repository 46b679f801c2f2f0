import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreMessage } from './core-message.ts';
import { publishDeadLetter, type DeadLetterTarget } from './dead-letter.ts';
import { DropReporter } from './drop-reporter.ts';
import { busLogger } from './handler-context.ts';
import type { RawMessage } from './internal-types.ts';
import type { MessageProcessor, Outcome } from './message-processor.ts';
import type { DrainOptions, SubscribeOptions, SubscriptionStatus } from './types.ts';
import type { MsgInternals, TrackedSubscription } from './internal-types.ts';

/** What a core subscription does after each message (dead letters, replies). */
export type AfterMessage = (msg: Msg, raw: RawMessage, outcome: Outcome) => void;

/** Defaults that keep a flooded subscriber small: at most this much waits in the process. */
export const DEFAULT_MAX_PENDING_MESSAGES = 1000;
export const DEFAULT_MAX_PENDING_BYTES = 8 * 1024 * 1024;
/** Handler timeout when none is given. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;

/** One core subscription's settings. */
export interface CoreSubscription {
  subject: string;
  queue: string | undefined;
  processor: MessageProcessor;
  after: AfterMessage;
  /** Requests: the handler's context carries the reply subject. */
  replies: boolean;
  /** Handlers running at once (1: in arrival order). */
  concurrency: number;
  maxPendingMessages: number;
  maxPendingBytes: number;
  /** Default bound of a drain: the handler timeout. */
  timeoutMs: number;
}

/**
 * A core NATS subscription with flow control. Up to `concurrency` handlers run at once (synchronous
 * ones straight from the socket callback); later messages wait in the process up to
 * `maxPendingMessages` and `maxPendingBytes`. Past that bound a message is dropped the way a NATS
 * client treats a slow consumer (nats.go's pending limits): counted by reason, logged at most once
 * per interval, shown in the subscription's status. Core NATS is at most once, and memory stays
 * bounded whatever the publisher does.
 */
export function subscribeCore(nc: NatsConnection, settings: CoreSubscription): TrackedSubscription {
  const { subject, processor, after, concurrency, maxPendingMessages, maxPendingBytes } = settings;
  const label = settings.queue ?? subject;
  const drops = new DropReporter(label);
  let waiting: Msg[] = [];
  let head = 0;
  let pendingBytes = 0;
  let running = 0;
  let handled = 0;
  let idle: (() => void) | undefined;
  let stopped = false;

  // nats.js decodes the subject of every message on access; a literal subscription knows it already
  const literal = !subject.includes('*') && !subject.includes('>');
  const sizeOf = (msg: Msg) => msg.data.length + ((msg as unknown as MsgInternals)._msg?.hdr ?? 0);

  // The error reply or dead-letter copy may meet a closed or draining connection (nats.js throws):
  // logged, never an exception in nats.js's callback or an unhandled rejection that stalls the queue.
  const finish = (msg: Msg, raw: RawMessage, outcome: Outcome): void => {
    handled++;
    try {
      after(msg, raw, outcome);
    } catch (error) {
      busLogger().error({ err: error, subscription: label }, 'natsbus could not reply to or dead-letter a message');
    }
  };

  const run = (msg: Msg): void => {
    const raw: RawMessage = new CoreMessage(msg, literal ? subject : msg.subject, settings.replies);
    const outcome = processor.process(raw);
    if (!(outcome instanceof Promise)) {
      finish(msg, raw, outcome);
      return;
    }
    running++;
    void outcome.then((settled) => {
      running--;
      finish(msg, raw, settled);
      startWaiting();
      if (running === 0 && head === waiting.length && idle !== undefined) idle();
    });
  };

  const startWaiting = (): void => {
    while (!stopped && running < concurrency && head < waiting.length) {
      const msg = waiting[head]!;
      waiting[head++] = undefined as never;
      pendingBytes -= sizeOf(msg);
      if (head === waiting.length) {
        waiting = [];
        head = 0;
      }
      run(msg);
    }
  };

  const sub = nc.subscribe(subject, {
    ...(settings.queue !== undefined ? { queue: settings.queue } : {}),
    callback: (error, msg) => {
      if (error !== null) return;
      if (running < concurrency && head === waiting.length) {
        run(msg);
        return;
      }
      const size = sizeOf(msg);
      if (waiting.length - head >= maxPendingMessages || pendingBytes + size > maxPendingBytes) {
        drops.dropped('slow_consumer');
        return;
      }
      waiting.push(msg);
      pendingBytes += size;
    },
  });

  const dropWaiting = (reason: string): void => {
    const left = waiting.length - head;
    waiting = [];
    head = 0;
    pendingBytes = 0;
    if (left > 0) drops.dropped(reason, left);
  };

  return {
    unsubscribe() {
      stopped = true;
      sub.unsubscribe();
      dropWaiting('shutdown');
      drops.close();
      processor.stop();
    },
    async drain(options: DrainOptions = {}) {
      const bound = sleep(options.timeoutMs ?? settings.timeoutMs, false, { ref: false });
      // the server stops sending; what nats.js already read is still delivered to the callback. The
      // unsubscribe needs the server's answer: with the server gone it is cut at the bound (or when
      // nats.js gives up), then nothing more reaches the callback.
      if (
        !sub.isClosed() &&
        !(await Promise.race([
          sub.drain().then(
            () => true,
            () => false,
          ),
          bound,
        ]))
      ) {
        try {
          sub.unsubscribe();
        } catch {
          // the connection closed meanwhile: so did the subscription
        }
      }
      if (running > 0 || head < waiting.length) {
        const done = new Promise<boolean>((resolve) => (idle = () => resolve(true)));
        await Promise.race([done, bound]);
      }
      stopped = true;
      dropWaiting('shutdown');
      drops.close();
      processor.stop();
    },
    status(): SubscriptionStatus {
      return {
        kind: 'core',
        name: subject,
        ...(settings.queue !== undefined ? { queue: settings.queue } : {}),
        running,
        pending: waiting.length - head,
        pendingBytes,
        handled,
        dropped: drops.total,
      };
    },
  };
}

/** A core subscription from `subscribe`/`reply` options (defaults filled in, bounds at least 1). */
export function subscribeWithOptions(
  nc: NatsConnection,
  subject: string,
  options: SubscribeOptions,
  processor: MessageProcessor,
  after: AfterMessage,
  replies: boolean,
): TrackedSubscription {
  return subscribeCore(nc, {
    subject,
    queue: options.queue,
    processor,
    after,
    replies,
    concurrency: atLeastOne(options.concurrency, 1),
    maxPendingMessages: atLeastOne(options.maxPendingMessages, DEFAULT_MAX_PENDING_MESSAGES),
    maxPendingBytes: atLeastOne(options.maxPendingBytes, DEFAULT_MAX_PENDING_BYTES),
    timeoutMs: options.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS,
  });
}

function atLeastOne(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
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
    void publishDeadLetter(target, raw, outcome.reason, outcome.error.message, outcome.spanContext).then((sent) => {
      if (!sent) {
        busLogger().error(
          { reason: outcome.reason, subscription, dead_letter: deadLetterSubject },
          'natsbus could not dead-letter a core message; it is lost (core NATS is at most once)',
        );
      }
    });
  };
}
