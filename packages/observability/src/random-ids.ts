import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace';

const POOL_BYTES = 4096;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/**
 * Trace and span ids cut from a pool of cryptographic random bytes refilled 4 KiB at a time: the
 * SDK's generator calls `Math.random` per 4 bytes for every id, which costs more per span than the
 * rest of a sampled-out start. All-zero ids (invalid in W3C Trace Context) are drawn again.
 */
export class PooledRandomIdGenerator implements IdGenerator {
  readonly #pool = Buffer.allocUnsafe(POOL_BYTES);
  #at = POOL_BYTES;

  generateTraceId(): string {
    let id = this.#next(16);
    while (id === ZERO_TRACE_ID) id = this.#next(16);
    return id;
  }

  generateSpanId(): string {
    let id = this.#next(8);
    while (id === ZERO_SPAN_ID) id = this.#next(8);
    return id;
  }

  #next(bytes: number): string {
    if (this.#at + bytes > POOL_BYTES) {
      randomFillSync(this.#pool);
      this.#at = 0;
    }
    const start = this.#at;
    this.#at = start + bytes;
    return this.#pool.toString('hex', start, start + bytes);
  }
}
