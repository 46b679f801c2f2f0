import type { Span } from '@opentelemetry/api';
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { recordError } from '@service-runtime/observability';
import { refusalError } from './core-publish.ts';
import type { PublishResult } from './types.ts';

/** Every this many publishes the caller waits one macrotask turn. */
const YIELD_EVERY = 256;

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

  /**
   * Publishes one message and ends its PRODUCER `span`: resolves with the event `id` once nats.js
   * took the message; rejects with a PublishError (span ERROR) when it refused it.
   */
  push(
    subject: string,
    body: Uint8Array,
    headers: MsgHdrs | undefined,
    span: Span,
    id: string,
  ): Promise<PublishResult> {
    try {
      this.#nc.publish(subject, body, headers === undefined ? undefined : { headers });
    } catch (error) {
      const err = refusalError(error, subject);
      recordError(span, err);
      span.end();
      return Promise.reject(err);
    }
    span.end();
    const result: PublishResult = { id };
    if (++this.#count % YIELD_EVERY === 0) return new Promise((resolve) => setImmediate(resolve, result));
    return Promise.resolve(result);
  }
}
