import type { Consumer, JsMsg } from '@nats-io/jetstream';
import { setTimeout as sleep } from 'node:timers/promises';
import { context } from '@opentelemetry/api';
import { recordError } from '@service-runtime/observability';
import { startBatchSpan } from './batch-span.ts';
import { countHandlerFailure } from './bus-metrics.ts';
import { busLogger } from './handler-context.ts';
import type { HandlerWatchdog } from './handler-watchdog.ts';
import type { DecodedMessage, RawMessage, TrackedSubscription } from './internal-types.ts';
import {
  giveUp,
  handBack,
  keepWorking,
  rawFromJs,
  settle,
  settleFailed,
  type SettleSettings,
} from './jetstream-settle.ts';
import type { MessageProcessor } from './message-processor.ts';
import type { BatchContext, BatchHandler, ConsumerSpec, DrainOptions } from './types.ts';

/** Batch loop settings. */
export interface BatchSettings {
  consumer: Consumer;
  spec: ConsumerSpec;
  processor: MessageProcessor;
  watchdog: HandlerWatchdog;
  handler: BatchHandler;
  settle: SettleSettings;
  batchSize: number;
  /** How long one fetch waits for a full batch (at least 1000). */
  maxWaitMs: number;
  /** The consumer's ack wait: progress is sent for held messages each third of it. */
  ackWaitMs: number;
}

/**
 * Fetches up to `batchSize` messages at a time and hands the good ones to `handler` together in
 * one span linked to every message. Refused messages are dead-lettered one by one and never reach
 * the handler; a failing handler naks the whole batch (with backoff, up to `maxDeliver`).
 */
export function runBatchConsumer(settings: BatchSettings): TrackedSubscription {
  let stopped = false;
  let handled = 0;
  let inHand: { msgs: JsMsg[]; abandoned: boolean } | undefined;
  let current: { stop(): void } | undefined;
  let cut = false;
  // what is being fetched or is in the handler: a batch that runs past the ack wait (or waits for a
  // full batch) is kept from redelivery with progress messages, as a single consumer does
  let held: JsMsg[] = [];
  const progress = keepWorking(settings.ackWaitMs, () => held);
  const loop = (async () => {
    while (!stopped) {
      try {
        const fetched = await settings.consumer.fetch({
          max_messages: settings.batchSize,
          expires: settings.maxWaitMs,
        });
        current = fetched;
        if (cut) fetched.stop();
        const msgs: JsMsg[] = [];
        held = msgs;
        for await (const msg of fetched) msgs.push(msg);
        current = undefined;
        if (msgs.length === 0) continue;
        if (stopped) {
          msgs.forEach(handBack); // fetched while draining: another instance takes them now
          continue;
        }
        const batch = { msgs, abandoned: false };
        inHand = batch;
        await handleBatch(settings, msgs, batch);
        handled += msgs.length;
        inHand = undefined;
        held = [];
      } catch (error) {
        // what a failed fetch left unhandled goes back now (no progress may keep it forever)
        held.forEach(handBack);
        held = [];
        if (stopped) break;
        busLogger().warn({ err: error }, 'natsbus batch fetch failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  })();
  return {
    unsubscribe() {
      stopped = true;
      current?.stop();
      clearInterval(progress);
      settings.watchdog.stop();
    },
    async drain(options: DrainOptions = {}) {
      // no new fetch; what the server sent for the fetch under way before answering a flush has
      // arrived by then and is handed back, then the fetch is stopped; a batch in hand gets the
      // bound, then is handed back
      stopped = true;
      const timeoutMs = options.timeoutMs ?? settings.watchdog.timeoutMs;
      const done = settings.settle.nc
        .flush()
        .catch(() => undefined)
        .then(() => {
          cut = true;
          current?.stop();
          return loop;
        })
        .then(() => true);
      if (!(await Promise.race([done, sleep(timeoutMs, false, { ref: false })]))) {
        const batch = inHand;
        if (batch !== undefined) {
          batch.abandoned = true;
          batch.msgs.forEach(handBack);
        }
      }
      clearInterval(progress);
      settings.watchdog.stop();
    },
    status() {
      return {
        kind: 'jetstream',
        name: settings.spec.durable,
        running: inHand?.msgs.length ?? 0,
        pending: 0,
        pendingBytes: 0,
        handled,
        dropped: 0,
      };
    },
  };
}

async function handleBatch(settings: BatchSettings, msgs: JsMsg[], batch: { abandoned: boolean }): Promise<void> {
  const good: { msg: JsMsg; raw: RawMessage; decoded: DecodedMessage }[] = [];
  for (const msg of msgs) {
    const raw = rawFromJs(msg, settings.spec.stream);
    if (msg.info.deliveryCount > settings.settle.maxDeliver) {
      await giveUp(msg, raw, 'max_deliver', 'delivered more than maxDeliver times', settings.settle).catch(
        settleFailed(msg),
      );
      continue;
    }
    const decoded = settings.processor.decode(raw);
    if ('ok' in decoded) await settle(msg, raw, decoded, settings.settle).catch(settleFailed(msg));
    else good.push({ msg, raw, decoded });
  }
  if (good.length === 0) return;
  const destination = settings.spec.filterSubject ?? settings.spec.stream;
  const { span, context: spanContext } = startBatchSpan(destination, settings.spec.stream, settings.spec.durable, good);
  const ctx: BatchContext = {
    span,
    get logger() {
      return busLogger().child({ stream: settings.spec.stream, durable: settings.spec.durable });
    },
    deliveries: good.map((g) => g.raw.delivery!),
  };
  let error: Error | undefined;
  try {
    const result = context.with(
      spanContext,
      settings.handler,
      undefined,
      good.map((g) => g.decoded.event),
      ctx,
    );
    if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') {
      error = await settings.watchdog.watch(result as PromiseLike<unknown>);
    }
  } catch (thrown) {
    error = thrown instanceof Error ? thrown : new Error(String(thrown));
  }
  if (error !== undefined) {
    recordError(span, error);
    countHandlerFailure(error.name === 'HandlerTimeoutError' ? 'handler_timeout' : 'handler_error');
  }
  span.end();
  const outcome =
    error === undefined
      ? ({ ok: true } as const)
      : ({ ok: false, reason: 'handler_error', error, retryable: true } as const);
  if (batch.abandoned) return; // handed back at the end of a drain
  for (const { msg, raw } of good) {
    await settle(msg, raw, outcome, settings.settle).catch(settleFailed(msg));
  }
}
