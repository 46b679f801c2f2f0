import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';

/** Every this many publishes the caller waits one macrotask turn. */
const YIELD_EVERY = 256;

/** Told, for one message, whether nats.js took it. */
export interface HandOver {
  /** nats.js accepted the message (it is in its outbound buffer). */
  accepted(): void;
  /** nats.js refused it (closed connection, too large...); `error` is what it threw. */
  refused(error: unknown): void;
}

/**
 * Hands core publishes to nats.js at once, so a publish result is never reported before it is true:
 * nats.js either takes the message into its outbound buffer or throws. Writes are still coalesced:
 * nats.js writes its buffer in a microtask, so everything published in the same turn (a burst of
 * concurrent publishes) shares one write. A sequential `await publish()` loop would never leave the
 * microtask queue, so every {@link YIELD_EVERY}th result is reported after one macrotask turn, and
 * sockets and consumers in the same process keep moving.
 */
export class PublishQueue {
  readonly #nc: NatsConnection;
  #count = 0;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
  }

  /** Publishes one message and tells `handOver` the outcome. */
  push(subject: string, body: Uint8Array, headers: MsgHdrs | undefined, handOver: HandOver): void {
    try {
      this.#nc.publish(subject, body, headers === undefined ? undefined : { headers });
    } catch (error) {
      handOver.refused(error);
      return;
    }
    if (++this.#count % YIELD_EVERY === 0) setImmediate(() => handOver.accepted());
    else handOver.accepted();
  }
}
