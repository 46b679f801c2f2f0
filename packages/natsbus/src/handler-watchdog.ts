import { HandlerTimeoutError } from './errors.ts';

/**
 * Bounds how long one pending handler may take, with one timer per period rather than one per
 * message. Serves one handler in flight at a time (subscriptions and consumers run in order).
 */
export class HandlerWatchdog {
  readonly #timeoutMs: number;
  #inFlight: { started: number; expire: () => void } | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Resolves undefined when `pending` fulfils, its error when it rejects, a timeout error when it hangs. */
  watch(pending: PromiseLike<unknown>): Promise<Error | undefined> {
    return new Promise<Error | undefined>((resolve) => {
      let done = false;
      const finish = (error: Error | undefined) => {
        if (done) return;
        done = true;
        if (this.#inFlight === entry) this.#inFlight = undefined;
        resolve(error);
      };
      const entry = { started: performance.now(), expire: () => finish(new HandlerTimeoutError(this.#timeoutMs)) };
      this.#inFlight = entry;
      pending.then(
        () => finish(undefined),
        (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))),
      );
      if (this.#timer === undefined) this.#arm(this.#timeoutMs);
    });
  }

  /** Stops the timer. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(this.#check, ms);
    this.#timer.unref();
  }

  readonly #check = (): void => {
    this.#timer = undefined;
    const entry = this.#inFlight;
    if (entry === undefined) return;
    const age = performance.now() - entry.started;
    if (age >= this.#timeoutMs - 1) entry.expire();
    else this.#arm(this.#timeoutMs - age);
  };
}
