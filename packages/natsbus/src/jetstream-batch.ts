import type { Consumer, JsMsg } from '@nats-io/jetstream';
import { context } from '@opentelemetry/api';
import { recordError } from '@service-runtime/observability';
import { startBatchSpan } from './batch-span.ts';
import { countHandlerFailure } from './bus-metrics.ts';
import { busLogger } from './handler-context.ts';
import type { HandlerWatchdog } from './handler-watchdog.ts';
import type { DecodedMessage, RawMessage, TrackedSubscription } from './internal-types.ts';
import { giveUp, rawFromJs, settle, settleFailed, type SettleSettings } from './jetstream-settle.ts';
import type { MessageProcessor } from './message-processor.ts';
import type { BatchContext, BatchHandler, ConsumerSpec } from './types.ts';

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
}

/**
 * Fetches up to `batchSize` messages at a time and hands the good ones to `handler` together in
 * one span linked to every message. Refused messages are dead-lettered one by one and never reach
 * the handler; a failing handler naks the whole batch (with backoff, up to `maxDeliver`).
 */
export function runBatchConsumer(settings: BatchSettings): TrackedSubscription {
  let stopped = false;
  let handled = 0;
  let running = 0;
  let current: { stop(): void } | undefined;
  const loop = (async () => {
    while (!stopped) {
      try {
        const fetched = await settings.consumer.fetch({
          max_messages: settings.batchSize,
          expires: settings.maxWaitMs,
        });
        current = fetched;
        const msgs: JsMsg[] = [];
        for await (const msg of fetched) msgs.push(msg);
        current = undefined;
        if (msgs.length > 0) {
          running = msgs.length;
          await handleBatch(settings, msgs);
          handled += msgs.length;
          running = 0;
        }
      } catch (error) {
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
      settings.watchdog.stop();
    },
    async drain() {
      stopped = true;
      await loop;
      settings.watchdog.stop();
    },
    status() {
      return {
        kind: 'jetstream',
        name: settings.spec.durable,
        running,
        pending: 0,
        pendingBytes: 0,
        handled,
        dropped: 0,
      };
    },
  };
}

async function handleBatch(settings: BatchSettings, msgs: JsMsg[]): Promise<void> {
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
  for (const { msg, raw } of good) {
    await settle(msg, raw, outcome, settings.settle).catch(settleFailed(msg));
  }
}
