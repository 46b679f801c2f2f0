import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';

/** Messages queued before a synchronous hand-over to nats.js. */
const HIGH_WATER = 256;

/**
 * Coalesces core publishes. nats.js schedules a socket write in a microtask whenever its outbound
 * buffer was empty, so `await publish()` in a loop would pay one write per message. Queued
 * messages are handed to nats.js together (at the high-water mark or on the next macrotask), so a
 * whole run of publishes shares one write; at the high-water mark the caller also yields one
 * macrotask turn, so sockets and consumers in the same process keep moving.
 */
export class PublishQueue {
  readonly #nc: NatsConnection;
  readonly #onError: (error: unknown, subject: string) => void;
  #subjects: string[] = [];
  #bodies: Uint8Array[] = [];
  #headers: (MsgHdrs | undefined)[] = [];
  #scheduled = false;
  #yielding: Promise<void> | undefined;

  constructor(nc: NatsConnection, onError: (error: unknown, subject: string) => void) {
    this.#nc = nc;
    this.#onError = onError;
  }

  /**
   * Queues one message and answers `result`: an already-resolved promise (one per message, no
   * `then` chain), or after a macrotask turn at the high-water mark.
   */
  push<T>(subject: string, body: Uint8Array, headers: MsgHdrs | undefined, result: T): Promise<T> {
    this.#subjects.push(subject);
    this.#bodies.push(body);
    this.#headers.push(headers);
    if (this.#subjects.length >= HIGH_WATER) {
      this.flush();
      this.#yielding ??= new Promise<void>((resolve) =>
        setImmediate(() => {
          this.#yielding = undefined;
          resolve();
        }),
      );
      return this.#yielding.then(() => result);
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushLater);
    }
    return Promise.resolve(result);
  }

  /** Hands every queued message to nats.js now (before requests, JetStream publishes and drains). */
  flush(): void {
    const count = this.#subjects.length;
    if (count === 0) return;
    const subjects = this.#subjects;
    const bodies = this.#bodies;
    const headers = this.#headers;
    this.#subjects = [];
    this.#bodies = [];
    this.#headers = [];
    for (let i = 0; i < count; i++) {
      try {
        const h = headers[i];
        this.#nc.publish(subjects[i]!, bodies[i]!, h === undefined ? undefined : { headers: h });
      } catch (error) {
        this.#onError(error, subjects[i]!);
      }
    }
  }

  readonly #flushLater = (): void => {
    this.#scheduled = false;
    this.flush();
  };
}
