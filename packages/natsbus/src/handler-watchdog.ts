import { HandlerTimeoutError } from './errors.ts';

/**
 * Bounds how long pending handlers may take, with one timer rather than one per message. Every
 * handler gets the same timeout, so the oldest in flight always expires first: the timer is armed
 * for it alone and re-armed for the next.
 */
export class HandlerWatchdog {
  readonly #timeoutMs: number;

  /** The bound every watched handler gets. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }
  readonly #inFlight = new Set<{ started: number; expire: () => void }>();
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
        this.#inFlight.delete(entry);
        resolve(error);
      };
      const entry = { started: performance.now(), expire: () => finish(new HandlerTimeoutError(this.#timeoutMs)) };
      this.#inFlight.add(entry);
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
    const now = performance.now();
    for (const entry of this.#inFlight) {
      const age = now - entry.started;
      if (age < this.#timeoutMs - 1) {
        this.#arm(this.#timeoutMs - age);
        return;
      }
      entry.expire();
    }
  };
}
