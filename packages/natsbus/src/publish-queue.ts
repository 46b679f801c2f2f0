import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';

/** Messages queued before a synchronous hand-over to nats.js. */
const HIGH_WATER = 256;

/** Told, for one queued message, whether nats.js took it. */
export interface HandOver {
  /** nats.js accepted the message (it is in its outbound buffer). */
  accepted(): void;
  /** nats.js refused it (closed connection, too large...); `error` is what it threw. */
  refused(error: unknown): void;
}

/**
 * Coalesces core publishes without lying about them. nats.js schedules a socket write in a
 * microtask whenever its outbound buffer was empty, so handing messages over one by one costs a
 * write each. Queued messages are handed to nats.js together (at the high-water mark or on the next
 * macrotask) so concurrent publishes share one write, and each message's {@link HandOver} is told
 * only after nats.js took or refused it: a publish result is never reported before it is true.
 */
export class PublishQueue {
  readonly #nc: NatsConnection;
  #subjects: string[] = [];
  #bodies: Uint8Array[] = [];
  #headers: (MsgHdrs | undefined)[] = [];
  #handOvers: HandOver[] = [];
  #scheduled = false;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
  }

  /** Queues one message; `handOver` hears the outcome on the next macrotask at the latest. */
  push(subject: string, body: Uint8Array, headers: MsgHdrs | undefined, handOver: HandOver): void {
    this.#subjects.push(subject);
    this.#bodies.push(body);
    this.#headers.push(headers);
    this.#handOvers.push(handOver);
    if (this.#subjects.length >= HIGH_WATER) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushLater);
    }
  }

  /** Hands every queued message to nats.js now (before requests, JetStream publishes and drains). */
  flush(): void {
    const count = this.#subjects.length;
    if (count === 0) return;
    const subjects = this.#subjects;
    const bodies = this.#bodies;
    const headers = this.#headers;
    const handOvers = this.#handOvers;
    this.#subjects = [];
    this.#bodies = [];
    this.#headers = [];
    this.#handOvers = [];
    for (let i = 0; i < count; i++) {
      const h = headers[i];
      try {
        this.#nc.publish(subjects[i]!, bodies[i]!, h === undefined ? undefined : { headers: h });
      } catch (error) {
        handOvers[i]!.refused(error);
        continue;
      }
      handOvers[i]!.accepted();
    }
  }

  readonly #flushLater = (): void => {
    this.#scheduled = false;
    this.flush();
  };
}
