import { AckPolicy, type Consumer, type ConsumerMessages, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { rawFromJs, giveUp, settle, settleFailed, type SettleSettings } from './jetstream-settle.ts';
import type { MessageProcessor } from './message-processor.ts';
import type { BusSubscription, ConsumerSpec } from './types.ts';

/**
 * The durable pull consumer named by `spec`, created when missing (explicit ack, the filter, no
 * server-side delivery limit so natsbus dead-letters after `maxDeliver`, ack wait above the timeout).
 */
export async function ensureConsumer(jsm: JetStreamManager, spec: ConsumerSpec, timeoutMs: number): Promise<void> {
  try {
    await jsm.consumers.info(spec.stream, spec.durable);
  } catch (error) {
    if ((error as Error)?.name !== 'ConsumerNotFoundError') throw error;
    await jsm.consumers.add(spec.stream, {
      durable_name: spec.durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(timeoutMs + 10_000),
      max_deliver: -1,
      ...(spec.filterSubject !== undefined ? { filter_subject: spec.filterSubject } : {}),
    });
  }
}

/**
 * How long one pull request lives. nats.js derives the idle heartbeat (half of it) and, after a lost
 * node or a reconnect, the pause between its consumer-info checks (all of it) from this: the 30 s
 * default stalled a consumer for 30-40 s after its consumer leader was killed in a cluster.
 */
const PULL_EXPIRES_MS = 5000;

/**
 * Processes a JetStream consumer's messages one at a time and settles each (ack, nak with backoff,
 * term + dead letter). A message already delivered more than `maxDeliver` times (the process died
 * while handling it) is dead-lettered without running the handler again.
 */
export async function runConsumer(
  consumer: Consumer,
  spec: ConsumerSpec,
  processor: MessageProcessor,
  settings: SettleSettings,
  batchSize: number,
): Promise<BusSubscription> {
  const messages: ConsumerMessages = await consumer.consume({ max_messages: batchSize, expires: PULL_EXPIRES_MS });
  const loop = (async () => {
    for await (const msg of messages) {
      const raw = rawFromJs(msg, spec.stream);
      if (msg.info.deliveryCount > settings.maxDeliver) {
        await giveUp(msg, raw, 'max_deliver', 'delivered more than maxDeliver times', settings).catch(
          settleFailed(msg),
        );
        continue;
      }
      const outcome = await processor.process(raw);
      await settle(msg, raw, outcome, settings).catch(settleFailed(msg));
    }
  })();
  return {
    unsubscribe() {
      messages.stop();
      processor.stop();
    },
    async drain() {
      await messages.close();
      await loop.catch(() => undefined);
      processor.stop();
    },
  };
}
