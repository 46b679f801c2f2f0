import type { NewTokenLimitOptions } from './types.ts';

/** Which bound refused a call: the token bucket or the in-flight bound. */
export type LimitRefusal = { limit: 'rate' | 'concurrency'; retryAfterMs: number };

/**
 * Bounds upstream calls for tokens the cache has no active answer for: a token bucket (`ratePerSecond`,
 * refilled continuously, holding at most `burst`) and at most `maxConcurrent` such calls in flight.
 * Anyone can make up tokens without credentials; this keeps a flood of them from becoming a flood of
 * introspection calls, while tokens already known never ask it.
 */
export class NewTokenLimit {
  readonly #options: NewTokenLimitOptions;
  readonly #now: () => number;
  #tokens: number;
  #refilledAt: number;
  #inFlight = 0;

  constructor(options: NewTokenLimitOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
    this.#tokens = options.burst;
    this.#refilledAt = now();
  }

  /** Takes a slot for one upstream call, or says which bound refused it; {@link release} gives a slot back. */
  acquire(): LimitRefusal | undefined {
    const { ratePerSecond, burst, maxConcurrent } = this.#options;
    if (this.#inFlight >= maxConcurrent) return { limit: 'concurrency', retryAfterMs: 1000 };
    const now = this.#now();
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#refilledAt) * ratePerSecond) / 1000);
    this.#refilledAt = now;
    if (this.#tokens < 1) return { limit: 'rate', retryAfterMs: ((1 - this.#tokens) * 1000) / ratePerSecond };
    this.#tokens -= 1;
    this.#inFlight += 1;
    return undefined;
  }

  /** The call that {@link acquire} admitted has settled. */
  release(): void {
    this.#inFlight -= 1;
  }

  /** Calls admitted and not yet settled. */
  get inFlight(): number {
    return this.#inFlight;
  }
}
