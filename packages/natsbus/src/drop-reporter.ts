import type { Attributes } from '@opentelemetry/api';
import { countDropped, droppedAttributes } from './bus-metrics.ts';
import { busLogger } from './handler-context.ts';

/** How often, at most, one subscription logs that it dropped messages. */
export const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * Counts the messages one subscription drops (the metric at once, by reason) and logs them at most
 * once per {@link DROP_LOG_INTERVAL_MS}: the first drop is logged straight away, later ones are
 * summed and logged when the interval is over, so a flood gives one line per interval, not one per
 * message, and the count of a burst's tail is never lost.
 */
export class DropReporter {
  readonly #subscription: string;
  readonly #intervalMs: number;
  #total = 0;
  #unlogged = new Map<string, number>();
  readonly #attributes = new Map<string, Attributes>();
  #timer: NodeJS.Timeout | undefined;

  constructor(subscription: string, intervalMs = DROP_LOG_INTERVAL_MS) {
    this.#subscription = subscription;
    this.#intervalMs = intervalMs;
  }

  /** Messages dropped so far. */
  get total(): number {
    return this.#total;
  }

  /** Records `count` dropped messages for `reason` (`slow_consumer`, `shutdown`). */
  dropped(reason: string, count = 1): void {
    this.#total += count;
    let attributes = this.#attributes.get(reason);
    if (attributes === undefined) {
      attributes = droppedAttributes(reason, this.#subscription);
      this.#attributes.set(reason, attributes);
    }
    countDropped(attributes, count);
    this.#unlogged.set(reason, (this.#unlogged.get(reason) ?? 0) + count);
    if (this.#timer === undefined) {
      this.#log();
      this.#timer = setTimeout(this.#tick, this.#intervalMs);
      this.#timer.unref();
    }
  }

  /** Logs what is still unlogged and stops the timer. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#log();
  }

  readonly #tick = (): void => {
    this.#timer = undefined;
    if (this.#unlogged.size === 0) return;
    this.#log();
    this.#timer = setTimeout(this.#tick, this.#intervalMs);
    this.#timer.unref();
  };

  #log(): void {
    for (const [reason, count] of this.#unlogged) {
      busLogger().warn(
        { subscription: this.#subscription, reason, dropped: count, dropped_total: this.#total },
        `natsbus dropped ${count} core message(s) on ${this.#subscription} (${reason}); core NATS is at most once`,
      );
    }
    this.#unlogged.clear();
  }
}
