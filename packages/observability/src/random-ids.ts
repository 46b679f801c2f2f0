import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace';

const POOL_BYTES = 4096;
/** Char code of each lowercase hex digit. */
const DIGIT = new Uint8Array([...'0123456789abcdef'].map((c) => c.charCodeAt(0)));
const char = String.fromCharCode;

/**
 * Trace and span ids cut from a pool of cryptographic random bytes refilled 4 KiB at a time: the
 * SDK's generator calls `Math.random` per 4 bytes for every id, which costs more per span than the
 * rest of a sampled-out start. Each id is built as one flat string from a digit table (a third of
 * `Buffer#toString('hex')`'s cost per id, and no slice pinning a bigger string). All-zero ids
 * (invalid in W3C Trace Context) are drawn again.
 */
export class PooledRandomIdGenerator implements IdGenerator {
  readonly #pool = Buffer.allocUnsafe(POOL_BYTES);
  #at = POOL_BYTES;

  generateTraceId(): string {
    let p = this.#take(16);
    while (isZero(this.#pool, p, 16)) p = this.#take(16);
    const b = this.#pool;
    return hex8(b, p) + hex8(b, p + 8);
  }

  generateSpanId(): string {
    let p = this.#take(8);
    while (isZero(this.#pool, p, 8)) p = this.#take(8);
    return hex8(this.#pool, p);
  }

  /** Where the next `bytes` random bytes start, refilling the pool when it runs out. */
  #take(bytes: number): number {
    if (this.#at + bytes > POOL_BYTES) {
      randomFillSync(this.#pool);
      this.#at = 0;
    }
    const start = this.#at;
    this.#at = start + bytes;
    return start;
  }
}

function isZero(b: Buffer, p: number, bytes: number): boolean {
  for (let i = p; i < p + bytes; i++) if (b[i] !== 0) return false;
  return true;
}

/** 16 lowercase hex digits of the 8 bytes at `p`, as one flat string. */
function hex8(b: Buffer, p: number): string {
  const b0 = b[p]!;
  const b1 = b[p + 1]!;
  const b2 = b[p + 2]!;
  const b3 = b[p + 3]!;
  const b4 = b[p + 4]!;
  const b5 = b[p + 5]!;
  const b6 = b[p + 6]!;
  const b7 = b[p + 7]!;
  return char(
    DIGIT[b0 >> 4]!,
    DIGIT[b0 & 15]!,
    DIGIT[b1 >> 4]!,
    DIGIT[b1 & 15]!,
    DIGIT[b2 >> 4]!,
    DIGIT[b2 & 15]!,
    DIGIT[b3 >> 4]!,
    DIGIT[b3 & 15]!,
    DIGIT[b4 >> 4]!,
    DIGIT[b4 & 15]!,
    DIGIT[b5 >> 4]!,
    DIGIT[b5 & 15]!,
    DIGIT[b6 >> 4]!,
    DIGIT[b6 & 15]!,
    DIGIT[b7 >> 4]!,
    DIGIT[b7 & 15]!,
  );
}
