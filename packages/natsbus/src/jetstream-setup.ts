import {
  AckPolicy,
  type ConsumerInfo,
  type ConsumerUpdateConfig,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { millis, nanos, type NatsConnection } from '@nats-io/transport-node';
import { HandlerWatchdog } from './handler-watchdog.ts';
import { runBatchConsumer } from './jetstream-batch.ts';
import { runConsumer } from './jetstream-consumer.ts';
import type { SettleSettings } from './jetstream-settle.ts';
import type { MessageProcessor } from './message-processor.ts';
import type { BatchHandler, ConsumeOptions, ConsumerSpec } from './types.ts';
import type { TrackedSubscription } from './internal-types.ts';

const DEFAULT_BACKOFF_MS = [1000, 5000, 30_000];

/** True when a stream stores `subject`: dead letters then go through JetStream and wait for the PubAck. */
async function capturedByStream(jsm: JetStreamManager, subject: string | undefined): Promise<boolean> {
  if (subject === undefined) return false;
  try {
    return (await jsm.streams.find(subject)) !== '';
  } catch {
    return false;
  }
}

/**
 * The durable pull consumer named by `spec`, created when missing (explicit ack, the filter, no
 * server-side delivery limit so natsbus dead-letters after `maxDeliver`); an existing one is updated
 * when `ackWaitMs` or `maxAckPending` are given and differ. Answers its info.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  spec: ConsumerSpec,
  limits: { ackWaitMs: number | undefined; maxAckPending: number | undefined; defaultAckWaitMs: number },
): Promise<ConsumerInfo> {
  let info: ConsumerInfo;
  try {
    info = await jsm.consumers.info(spec.stream, spec.durable);
  } catch (error) {
    if ((error as Error)?.name !== 'ConsumerNotFoundError') throw error;
    return jsm.consumers.add(spec.stream, {
      durable_name: spec.durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(limits.ackWaitMs ?? limits.defaultAckWaitMs),
      max_deliver: -1,
      ...(limits.maxAckPending !== undefined ? { max_ack_pending: limits.maxAckPending } : {}),
      ...(spec.filterSubject !== undefined ? { filter_subject: spec.filterSubject } : {}),
    });
  }
  const update: Partial<ConsumerUpdateConfig> = {};
  if (limits.ackWaitMs !== undefined && millis(info.config.ack_wait ?? 0) !== limits.ackWaitMs) {
    update.ack_wait = nanos(limits.ackWaitMs);
  }
  if (limits.maxAckPending !== undefined && info.config.max_ack_pending !== limits.maxAckPending) {
    update.max_ack_pending = limits.maxAckPending;
  }
  return Object.keys(update).length > 0 ? jsm.consumers.update(spec.stream, spec.durable, update) : info;
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : undefined;
}

/** Resolves consume options, ensures the durable consumer and starts the single or batch loop. */
export async function consumeWith(
  clients: { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager },
  spec: ConsumerSpec,
  options: ConsumeOptions,
  run: { processor: MessageProcessor; batchHandler?: BatchHandler },
): Promise<TrackedSubscription> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const backoff = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const settle: SettleSettings = {
    nc: clients.nc,
    maxDeliver: Math.max(1, options.maxDeliver ?? 5),
    backoffMs: typeof backoff === 'number' ? [backoff] : backoff.length > 0 ? backoff : [0],
    deadLetter:
      options.deadLetterSubject === undefined
        ? undefined
        : {
            nc: clients.nc,
            js: (await capturedByStream(clients.jsm, options.deadLetterSubject)) ? clients.js : undefined,
            subject: options.deadLetterSubject,
            consumer: spec.durable,
          },
    label: spec.durable,
  };
  const info = await ensureConsumer(clients.jsm, spec, {
    ackWaitMs: positive(options.ackWaitMs),
    maxAckPending: positive(options.maxAckPending),
    defaultAckWaitMs: timeoutMs + 10_000,
  });
  const consumer = await clients.js.consumers.get(spec.stream, spec.durable);
  const ackWaitMs = info.config.ack_wait ? millis(info.config.ack_wait) : 30_000;
  if (run.batchHandler === undefined) {
    return runConsumer(consumer, spec, run.processor, settle, {
      concurrency: Math.max(1, Math.floor(options.concurrency ?? 1)),
      maxPull: Math.max(1, Math.floor(options.batchSize ?? 100)),
      ackWaitMs,
      timeoutMs,
    });
  }
  return runBatchConsumer({
    consumer,
    spec,
    processor: run.processor,
    watchdog: new HandlerWatchdog(timeoutMs),
    handler: run.batchHandler,
    settle,
    batchSize: options.batchSize ?? 10,
    maxWaitMs: Math.max(1000, options.maxWaitMs ?? 1000),
    ackWaitMs,
  });
}
