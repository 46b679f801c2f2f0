import { hash } from 'node:crypto';
import type { CacheEntry } from './internal-types.ts';
import type { CacheOptions, IntrospectionResult } from './types.ts';

/** The cache key of a token: its SHA-256, so raw tokens never sit in memory as map keys or in heap dumps. */
export function tokenKey(token: string): string {
  return hash('sha256', token, 'base64url');
}

/**
 * A bounded LRU of introspection answers (a Map keeps insertion order; a hit re-inserts). Positive
 * answers live min(maxTtlMs, exp − now); inactive ones negativeTtlMs. With stale-if-error, an
 * expired positive entry is kept a while longer, only for {@link IntrospectionCache.getStale}.
 */
export class IntrospectionCache {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #options: CacheOptions;
  readonly #staleIfErrorMs: number;

  constructor(options: CacheOptions, staleIfErrorMs: number) {
    this.#options = options;
    this.#staleIfErrorMs = staleIfErrorMs;
  }

  /** The fresh answer for `key`, or undefined (an expired entry is dropped unless kept for stale use). */
  get(key: string, now: number): IntrospectionResult | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      if (entry.staleUntil <= now) this.#entries.delete(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.result;
  }

  /** An expired positive answer still inside its stale-if-error window whose token has not expired. */
  getStale(key: string, now: number): IntrospectionResult | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || !entry.result.active || entry.staleUntil <= now) return undefined;
    const exp = entry.result.exp;
    if (exp !== undefined && exp * 1000 <= now) return undefined;
    return entry.result;
  }

  /** Stores an answer for as long as it may be reused; answers that may not be reused are not stored. */
  set(key: string, result: IntrospectionResult, now: number): void {
    const ttl = result.active ? this.#positiveTtl(result, now) : this.#options.negativeTtlMs;
    if (ttl <= 0) {
      this.#entries.delete(key);
      return;
    }
    const expiresAt = now + ttl;
    let staleUntil = expiresAt;
    if (result.active && this.#staleIfErrorMs > 0) staleUntil += this.#staleIfErrorMs;
    this.#entries.delete(key);
    this.#entries.set(key, { result, expiresAt, staleUntil });
    while (this.#entries.size > this.#options.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  #positiveTtl(result: IntrospectionResult, now: number): number {
    const exp = result.exp;
    const untilExp = exp === undefined ? Number.POSITIVE_INFINITY : exp * 1000 - now;
    return Math.min(this.#options.maxTtlMs, untilExp);
  }
}
