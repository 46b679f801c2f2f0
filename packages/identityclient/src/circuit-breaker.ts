import type { BreakerOptions, BreakerState } from './types.ts';

/** What the breaker says about one upstream call. */
export type Admission = { allowed: true; probe: boolean } | { allowed: false; retryAfterMs: number };

/**
 * Consecutive-failure circuit breaker: closed → open after `failureThreshold` failures in a row;
 * open fails fast for `resetMs`; then half-open lets exactly one probe through; its success closes
 * the breaker, its failure opens it again.
 */
export class CircuitBreaker {
  readonly #options: BreakerOptions;
  readonly #onTransition: (to: BreakerState, from: BreakerState) => void;
  readonly #now: () => number;
  #state: BreakerState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probeInFlight = false;

  constructor(
    options: BreakerOptions,
    onTransition: (to: BreakerState, from: BreakerState) => void,
    now: () => number = Date.now,
  ) {
    this.#options = options;
    this.#onTransition = onTransition;
    this.#now = now;
  }

  get state(): BreakerState {
    return this.#state;
  }

  /** Asks to make one upstream call; a half-open breaker admits a single probe at a time. */
  admit(): Admission {
    if (this.#state === 'closed') return { allowed: true, probe: false };
    if (this.#state === 'open') {
      const remaining = this.#openedAt + this.#options.resetMs - this.#now();
      if (remaining > 0) return { allowed: false, retryAfterMs: remaining };
      this.#transition('half_open');
    }
    if (this.#probeInFlight) return { allowed: false, retryAfterMs: 1000 };
    this.#probeInFlight = true;
    return { allowed: true, probe: true };
  }

  /** The admitted call got a usable answer. */
  onSuccess(probe: boolean): void {
    if (probe) this.#probeInFlight = false;
    this.#failures = 0;
    if (this.#state !== 'closed') this.#transition('closed');
  }

  /** The admitted call failed (timeout, network, non-200, malformed). */
  onFailure(probe: boolean): void {
    if (probe) this.#probeInFlight = false;
    this.#failures += 1;
    if (this.#state === 'half_open' || (this.#state === 'closed' && this.#failures >= this.#options.failureThreshold)) {
      this.#openedAt = this.#now();
      this.#transition('open');
    }
  }

  /** The admitted call was abandoned by its callers: neither success nor failure. */
  onAbandoned(probe: boolean): void {
    if (probe) this.#probeInFlight = false;
  }

  #transition(to: BreakerState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#onTransition(to, from);
  }
}
