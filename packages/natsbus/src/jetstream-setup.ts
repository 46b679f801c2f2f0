import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { HandlerWatchdog } from './handler-watchdog.ts';
import { runBatchConsumer } from './jetstream-batch.ts';
import { ensureConsumer, runConsumer } from './jetstream-consumer.ts';
import type { SettleSettings } from './jetstream-settle.ts';
import type { MessageProcessor } from './message-processor.ts';
import type { BatchHandler, BusSubscription, ConsumeOptions, ConsumerSpec } from './types.ts';

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

/** Resolves consume options, ensures the durable consumer and starts the single or batch loop. */
export async function consumeWith(
  clients: { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager },
  spec: ConsumerSpec,
  options: ConsumeOptions,
  run: { processor: MessageProcessor; batchHandler?: BatchHandler },
): Promise<BusSubscription> {
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
  await ensureConsumer(clients.jsm, spec, timeoutMs);
  const consumer = await clients.js.consumers.get(spec.stream, spec.durable);
  if (run.batchHandler === undefined) {
    return runConsumer(consumer, spec, run.processor, settle, options.batchSize ?? 100);
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
  });
}
