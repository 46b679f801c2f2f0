import { hash } from 'node:crypto';
import type { CacheEntry } from './internal-types.ts';
import type { CacheOptions, IntrospectionResult } from './types.ts';

/** The cache key of a token: its SHA-256, so raw tokens never sit in memory as map keys or in heap dumps. */
export function tokenKey(token: string): string {
  return hash('sha256', token, 'base64url');
}

/** Which bound an entry counts against: active answers, or inactive ones (unknown, revoked, expired tokens). */
export type EntryKind = 'positive' | 'negative';

/**
 * Two bounded LRUs of introspection answers (a Map keeps insertion order; a hit re-inserts): one for
 * active answers, one for inactive ones, so a flood of made-up tokens, which can only ever produce
 * inactive answers, never evicts a valid token. Positive answers live min(maxTtlMs, exp − now),
 * inactive ones negativeTtlMs. An expired positive entry stays until its slot is needed: it still
 * marks the token as known (see {@link IntrospectionCache.isKnown}) and serves stale-if-error.
 */
export class IntrospectionCache {
  readonly #positive = new Map<string, CacheEntry>();
  readonly #negative = new Map<string, CacheEntry>();
  readonly #options: CacheOptions;
  readonly #staleIfErrorMs: number;
  readonly #onEvict: (kind: EntryKind) => void;

  constructor(options: CacheOptions, staleIfErrorMs: number, onEvict: (kind: EntryKind) => void = () => undefined) {
    this.#options = options;
    this.#staleIfErrorMs = staleIfErrorMs;
    this.#onEvict = onEvict;
  }

  /** The fresh answer for `key`, or undefined. */
  get(key: string, now: number): IntrospectionResult | undefined {
    const positive = this.#positive.get(key);
    if (positive !== undefined) return positive.expiresAt > now ? touch(this.#positive, key, positive) : undefined;
    const negative = this.#negative.get(key);
    if (negative === undefined) return undefined;
    if (negative.expiresAt > now) return touch(this.#negative, key, negative);
    this.#negative.delete(key);
    return undefined;
  }

  /** True when the token had an active answer that is still held (fresh or expired): not a never-seen token. */
  isKnown(key: string): boolean {
    return this.#positive.has(key);
  }

  /** An expired positive answer still inside its stale-if-error window whose token has not expired. */
  getStale(key: string, now: number): IntrospectionResult | undefined {
    const entry = this.#positive.get(key);
    if (entry === undefined || entry.staleUntil <= now) return undefined;
    const exp = entry.result.exp;
    if (exp !== undefined && exp * 1000 <= now) return undefined;
    return entry.result;
  }

  /** Stores an answer for as long as it may be reused; answers that may not be reused are not stored. */
  set(key: string, result: IntrospectionResult, now: number): void {
    this.#positive.delete(key);
    this.#negative.delete(key);
    const ttl = result.active ? this.#positiveTtl(result, now) : this.#options.negativeTtlMs;
    if (ttl <= 0) return;
    const expiresAt = now + ttl;
    if (!result.active) {
      this.#insert(this.#negative, 'negative', this.#options.maxNegativeEntries, key, {
        result,
        expiresAt,
        staleUntil: 0,
      });
      return;
    }
    const staleUntil = expiresAt + this.#staleIfErrorMs;
    this.#insert(this.#positive, 'positive', this.#options.maxEntries, key, { result, expiresAt, staleUntil });
  }

  delete(key: string): void {
    this.#positive.delete(key);
    this.#negative.delete(key);
  }

  clear(): void {
    this.#positive.clear();
    this.#negative.clear();
  }

  /** Entries held of each kind (expired positive ones included until their slot is needed). */
  get sizes(): Readonly<Record<EntryKind, number>> {
    return { positive: this.#positive.size, negative: this.#negative.size };
  }

  #insert(map: Map<string, CacheEntry>, kind: EntryKind, max: number, key: string, entry: CacheEntry): void {
    map.set(key, entry);
    while (map.size > max) {
      const oldest = map.keys().next().value;
      if (oldest === undefined) break;
      map.delete(oldest);
      this.#onEvict(kind);
    }
  }

  #positiveTtl(result: IntrospectionResult, now: number): number {
    const exp = result.exp;
    const untilExp = exp === undefined ? Number.POSITIVE_INFINITY : exp * 1000 - now;
    return Math.min(this.#options.maxTtlMs, untilExp);
  }
}

/** Moves a hit to the young end of its LRU. */
function touch(map: Map<string, CacheEntry>, key: string, entry: CacheEntry): IntrospectionResult {
  map.delete(key);
  map.set(key, entry);
  return entry.result;
}
