import type { SpanContext } from '@opentelemetry/api';
import type { JsMsg } from '@nats-io/jetstream';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { busLogger } from './handler-context.ts';
import { countRejected } from './bus-metrics.ts';
import { publishDeadLetter, type DeadLetterTarget } from './dead-letter.ts';
import type { RawMessage } from './internal-types.ts';
import { readHeadersOf } from './received-headers.ts';
import type { Outcome } from './message-processor.ts';
import type { JetStreamDelivery } from './types.ts';

/** Retry and dead-letter settings of one consumer. */
export interface SettleSettings {
  nc: NatsConnection;
  maxDeliver: number;
  backoffMs: number[];
  /** Where copies of given-up messages go, when configured. */
  deadLetter: DeadLetterTarget | undefined;
  label: string;
}

/**
 * Sends progress for every message `held()` yields each third of the ack wait (at least every
 * 100 ms), so a message still waiting or in its handler is not redelivered; the timer never keeps
 * the process alive.
 */
export function keepWorking(ackWaitMs: number, held: () => Iterable<JsMsg>): NodeJS.Timeout {
  const timer = setInterval(
    () => {
      for (const msg of held()) msg.working();
    },
    Math.max(100, Math.floor(ackWaitMs / 3)),
  );
  timer.unref();
  return timer;
}

/** natsbus's view of a JetStream message. */
export function rawFromJs(msg: JsMsg, stream: string): RawMessage {
  const delivery: JetStreamDelivery = { stream, streamSequence: msg.seq, deliveryCount: msg.info.deliveryCount };
  // the underlying core message (nats.js's JsMsgImpl keeps it), for reading its header block once
  const inner = (msg as unknown as { msg?: Msg }).msg;
  return {
    subject: msg.subject,
    get headers() {
      return msg.headers;
    },
    data: msg.data,
    delivery,
    readHeaders: () => (inner === undefined ? msg.headers : readHeadersOf(inner)),
  };
}

/**
 * The catch of every settle: whatever throws while settling is logged, never an unhandled
 * rejection. (nats.js 3 drops an ack, nak or term on a closed connection without throwing; either
 * way the message comes back after its ack wait: `jetstream-closed.test.ts`.)
 */
export function settleFailed(msg: JsMsg): (error: unknown) => void {
  return (error) => busLogger().error({ err: error, seq: msg.seq }, 'natsbus could not settle a message');
}

/**
 * Naks at once (no delay): a message pulled but not handled (a drain, a handler past its bound) goes
 * to another instance now rather than after the ack wait.
 */
export function handBack(msg: JsMsg): void {
  try {
    msg.nak();
  } catch (error) {
    settleFailed(msg)(error);
  }
}

/** Nak delay for the `deliveryCount`th delivery (the last entry repeats). */
export function backoffFor(backoffMs: number[], deliveryCount: number): number {
  return backoffMs[Math.min(deliveryCount - 1, backoffMs.length - 1)] ?? 0;
}

/**
 * Acks, naks or terms one message after its outcome: ack on success; a retryable failure is naked
 * with backoff until `maxDeliver`, then dead-lettered and termed; a refused message is dead-lettered
 * and termed at once. When the dead-letter copy cannot be sent the message is naked instead, so
 * nothing is lost.
 */
export async function settle(msg: JsMsg, raw: RawMessage, outcome: Outcome, settings: SettleSettings): Promise<void> {
  if (outcome.ok) {
    msg.ack();
    return;
  }
  const deliveries = msg.info.deliveryCount;
  if (outcome.retryable && deliveries < settings.maxDeliver) {
    msg.nak(backoffFor(settings.backoffMs, deliveries));
    return;
  }
  const reason = outcome.retryable ? 'max_deliver' : outcome.reason;
  await giveUp(msg, raw, reason, outcome.error.message, settings, outcome.spanContext);
}

/**
 * Dead-letters (when configured) and terms; naks when the copy could not be sent. `parent` is the
 * failed CONSUMER span, parent of the dead-letter PRODUCER span.
 */
export async function giveUp(
  msg: JsMsg,
  raw: RawMessage,
  reason: string,
  detail: string,
  settings: SettleSettings,
  parent?: SpanContext,
): Promise<void> {
  if (reason === 'max_deliver') countRejected(reason, settings.label);
  if (settings.deadLetter !== undefined) {
    const sent = await publishDeadLetter(settings.deadLetter, raw, reason, detail, parent);
    if (!sent) {
      busLogger().error({ reason, seq: msg.seq }, 'natsbus could not dead-letter a message; it will be redelivered');
      msg.nak(backoffFor(settings.backoffMs, msg.info.deliveryCount));
      return;
    }
  }
  busLogger().warn(
    { reason, seq: msg.seq, deliveries: msg.info.deliveryCount, dead_letter: settings.deadLetter?.subject },
    `natsbus gave up on a message: ${detail}`,
  );
  if (termReasonUnderstood(settings.nc)) msg.term(reason);
  else msg.term();
}

/**
 * `+TERM <reason>` is understood from nats-server 2.10.4 on. Older servers do not recognise it, so
 * the message stayed ack-pending and came back after the ack wait (dead-lettered again and again);
 * they get a plain `+TERM` (the reason is in the dead-letter headers and the log either way).
 */
export function termReasonUnderstood(nc: NatsConnection): boolean {
  const [major = 0, minor = 0, patch = 0] = (nc.info?.version ?? '0.0.0').split(/[.-]/).map(Number);
  return major > 2 || (major === 2 && (minor > 10 || (minor === 10 && patch >= 4)));
}
