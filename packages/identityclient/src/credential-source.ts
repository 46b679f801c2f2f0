import { IdentityUnavailableError } from './errors.ts';
import type { Credential, CredentialValue } from './types.ts';

/** Refresh this long before a credential's `expiresAt` at most (a fifth of its lifetime for short ones). */
const MAX_REFRESH_MARGIN_MS = 30_000;
/** After a failed background refresh, the current value is used this long before the next attempt. */
const REFRESH_RETRY_MS = 1000;

interface Held {
  value: string;
  /** From here on, a refresh starts in the background while `value` is still used. */
  refreshAt: number;
  /** From here on, `value` is not used any more. */
  expiresAt: number;
}

/**
 * One client credential, given as a value or as a function. A function is called when a credential is
 * needed; a plain string it returns is used for that request only (the function caches by its own
 * rules), a `{ value, expiresAt }` is kept and refreshed in the background before it expires, so no
 * request waits for the refresh or is sent with an expired credential. Values are never logged.
 */
export class CredentialSource {
  readonly #source: Credential;
  readonly #now: () => number;
  readonly #onBackgroundFailure: (error: unknown) => void;
  #held: Held | undefined;
  #refreshing: Promise<Held> | undefined;
  #retryAfter = 0;

  constructor(source: Credential, onBackgroundFailure: (error: unknown) => void, now: () => number = Date.now) {
    this.#source = source;
    this.#onBackgroundFailure = onBackgroundFailure;
    this.#now = now;
  }

  /** Whether the credential can change: only then is a refused credential worth a retry. */
  get rotates(): boolean {
    return typeof this.#source === 'function';
  }

  /** The credential to send now. */
  async get(): Promise<string> {
    if (typeof this.#source === 'string') return this.#source;
    const now = this.#now();
    const held = this.#held;
    if (held !== undefined && now < held.expiresAt) {
      if (now >= held.refreshAt && now >= this.#retryAfter && this.#refreshing === undefined)
        this.#refresh().catch((error: unknown) => {
          this.#retryAfter = this.#now() + REFRESH_RETRY_MS;
          this.#onBackgroundFailure(error);
        });
      return held.value;
    }
    return (await this.#refresh()).value;
  }

  /** The identity service refused `value`: it is not used again, the next request gets a fresh one. */
  refused(value: string): void {
    if (this.#held?.value === value) this.#held = undefined;
  }

  #refresh(): Promise<Held> {
    this.#refreshing ??= this.#fetch().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #fetch(): Promise<Held> {
    const source = this.#source as () => CredentialValue | Promise<CredentialValue>;
    let given: CredentialValue;
    try {
      given = await source();
    } catch (error) {
      throw unavailable('the credential function failed', error);
    }
    const now = this.#now();
    const held = normalize(given, now);
    if (held === undefined) throw unavailable('the credential function returned no usable credential');
    if (held.expiresAt > now) this.#held = held;
    return held;
  }
}

/** A string is for one request; `{ value, expiresAt }` is kept until shortly before `expiresAt`. */
function normalize(given: CredentialValue, now: number): Held | undefined {
  if (typeof given === 'string') return given === '' ? undefined : { value: given, refreshAt: now, expiresAt: now };
  if (typeof given !== 'object' || given === null || typeof given.value !== 'string' || given.value === '')
    return undefined;
  const expiresAt = given.expiresAt;
  if (expiresAt === undefined) return { value: given.value, refreshAt: now, expiresAt: now };
  if (typeof expiresAt !== 'number' || Number.isNaN(expiresAt)) return undefined;
  const margin = Math.min(MAX_REFRESH_MARGIN_MS, Math.max(0, expiresAt - now) / 5);
  return { value: given.value, refreshAt: expiresAt - margin, expiresAt };
}

function unavailable(what: string, cause?: unknown): IdentityUnavailableError {
  return new IdentityUnavailableError(
    `client credentials for the identity service are unavailable: ${what}`,
    { reason: 'credentials' },
    cause === undefined ? undefined : { cause },
  );
}
