import type { Consumer, JsMsg } from '@nats-io/jetstream';
import { setTimeout as sleep } from 'node:timers/promises';
import { busLogger } from './handler-context.ts';
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
import type { ConsumerSpec, DrainOptions } from './types.ts';
import type { RawMessage, TrackedSubscription } from './internal-types.ts';

/**
 * How long one pull request lives. nats.js derives the idle heartbeat from it; a short one also
 * means a lost consumer leader or a reconnect costs a few seconds, not the 30 s default.
 */
const PULL_EXPIRES_MS = 5000;

/** Flow settings of one consumer. */
export interface ConsumerFlow {
  /** Handlers running at once. */
  concurrency: number;
  /** Most messages one pull asks for (running and waiting together never exceed it plus concurrency). */
  maxPull: number;
  /** The consumer's ack wait: what the pull size and progress messages are measured against. */
  ackWaitMs: number;
  /** Handler timeout: the default bound of a drain. */
  timeoutMs: number;
}

/** One pulled message and whether it was settled (so a late handler result is not settled twice). */
interface Held {
  msg: JsMsg;
  raw: RawMessage;
  settled: boolean;
}

/**
 * Runs a JetStream consumer with `concurrency` handlers. It pulls only what it can start soon: the
 * free slots plus as many as the measured handler time lets it start within half the ack wait
 * (nothing extra until a handler time is known), so a waiting message never outlives its ack wait.
 * Every message held, running or waiting, gets a progress message (`working()`) each third of the
 * ack wait, so a long handler is not redelivered either. A message already delivered more than
 * `maxDeliver` times is dead-lettered without running the handler again.
 */
export function runConsumer(
  consumer: Consumer,
  spec: ConsumerSpec,
  processor: MessageProcessor,
  settings: SettleSettings,
  flow: ConsumerFlow,
): TrackedSubscription {
  const waiting: Held[] = [];
  const running = new Set<Held>();
  let stopping = false;
  let averageMs: number | undefined;
  let handled = 0;
  let current: { stop(): void } | undefined;
  let cut = false;
  let wake: (() => void) | undefined;
  let idle: (() => void) | undefined;

  const progress = keepWorking(flow.ackWaitMs, function* () {
    for (const held of running) yield held.msg;
    for (const held of waiting) yield held.msg;
  });

  const room = (): number => {
    const ahead =
      averageMs === undefined ? 0 : Math.floor(flow.ackWaitMs / 2 / Math.max(averageMs, 1)) * flow.concurrency;
    return flow.concurrency + Math.min(ahead, flow.maxPull) - running.size - waiting.length;
  };

  const finish = (held: Held, started: number): void => {
    running.delete(held);
    handled++;
    const took = performance.now() - started;
    averageMs = averageMs === undefined ? took : averageMs * 0.8 + took * 0.2;
    startNext();
    wake?.();
    if (running.size === 0 && idle !== undefined) idle();
  };

  const start = (held: Held): void => {
    running.add(held);
    const started = performance.now();
    const { msg, raw } = held;
    const settleOnce = (work: () => Promise<void>) => {
      if (held.settled) return Promise.resolve();
      held.settled = true;
      return work().catch(settleFailed(msg));
    };
    if (msg.info.deliveryCount > settings.maxDeliver) {
      void settleOnce(() => giveUp(msg, raw, 'max_deliver', 'delivered more than maxDeliver times', settings)).finally(
        () => finish(held, started),
      );
      return;
    }
    void Promise.resolve(processor.process(raw))
      .then((outcome) => settleOnce(() => settle(msg, raw, outcome, settings)))
      .finally(() => finish(held, started));
  };

  const startNext = (): void => {
    while (!stopping && running.size < flow.concurrency && waiting.length > 0) start(waiting.shift()!);
  };

  const loop = (async () => {
    while (!stopping) {
      const want = room();
      if (want <= 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      try {
        const batch = await consumer.fetch({ max_messages: want, expires: PULL_EXPIRES_MS });
        current = batch;
        if (cut) batch.stop(); // the drain stopped pulls while this one was being sent
        for await (const msg of batch) {
          const held: Held = { msg, raw: rawFromJs(msg, spec.stream), settled: false };
          if (stopping) {
            handBackOnce(held);
            continue;
          }
          waiting.push(held);
          startNext();
        }
      } catch (error) {
        if (stopping) break;
        busLogger().warn({ err: error, durable: spec.durable }, 'natsbus pull failed; retrying');
        await sleep(500);
      } finally {
        current = undefined;
      }
    }
  })();

  /** No new pull; what waits is handed back. The pull under way is left to end (see drain). */
  const stop = (): void => {
    stopping = true;
    wake?.();
    for (const held of waiting.splice(0)) handBackOnce(held);
  };

  return {
    unsubscribe() {
      stop();
      current?.stop();
      clearInterval(progress);
      processor.stop();
    },
    async drain(options: DrainOptions = {}) {
      stop();
      // Unsubscribing from a pull under way loses what the server already sent (it would stay
      // ack-pending until the ack wait): what it sent before answering a flush has arrived by then
      // and is handed back; only then is the pull stopped.
      const timeoutMs = options.timeoutMs ?? flow.timeoutMs;
      const handlersDone = running.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
      const pullDone = settings.nc
        .flush()
        .catch(() => undefined)
        .then(() => {
          cut = true;
          current?.stop();
          return loop.catch(() => undefined);
        });
      const finished = Promise.all([handlersDone, pullDone]).then(() => true);
      if (!(await Promise.race([finished, sleep(timeoutMs, false, { ref: false })]))) {
        busLogger().warn(
          { durable: spec.durable, running: running.size, timeout_ms: timeoutMs },
          'natsbus handlers still running at the end of the drain; their messages are handed back',
        );
        for (const held of running) handBackOnce(held);
        cut = true;
        current?.stop();
        await loop.catch(() => undefined);
      }
      clearInterval(progress);
      processor.stop();
    },
    status() {
      let pendingBytes = 0;
      for (const held of waiting) pendingBytes += held.msg.data.length;
      return {
        kind: 'jetstream',
        name: spec.durable,
        running: running.size,
        pending: waiting.length,
        pendingBytes,
        handled,
        dropped: 0,
      };
    },
  };
}

/** Hands a held message back (once: a late handler result is then not settled again). */
function handBackOnce(held: Held): void {
  if (held.settled) return;
  held.settled = true;
  handBack(held.msg);
}
