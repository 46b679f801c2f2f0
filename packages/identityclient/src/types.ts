import type { Logger } from '@service-runtime/observability';

/** How the client authenticates at the introspection endpoint (RFC 7662 §2.1 leaves it to the server). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'bearer';

/**
 * A client credential: a value, or a function called whenever one is needed, so credentials rotate
 * without a restart. The function caches by its own rules, or returns an expiry and is called again
 * shortly before it (in the background, while the current value is still used).
 */
export type Credential = string | (() => CredentialValue | Promise<CredentialValue>);

/** What a credential function gives: the value for this request, or a value with its expiry (epoch ms). */
export type CredentialValue = string | { readonly value: string; readonly expiresAt?: number };

/**
 * An RFC 7662 introspection answer. Only `active` is required; the other members are present when
 * the server sends them. Extension members are kept as they are. Answers are deep-frozen.
 */
export interface IntrospectionResult {
  readonly active: boolean;
  readonly scope?: string;
  readonly client_id?: string;
  readonly username?: string;
  readonly token_type?: string;
  readonly exp?: number;
  readonly iat?: number;
  readonly nbf?: number;
  readonly sub?: string;
  readonly aud?: string | readonly string[];
  readonly iss?: string;
  readonly jti?: string;
  readonly [member: string]: unknown;
}

/** Per-call options of `introspect`. */
export interface IntrospectOptions {
  /** Abandons this caller's wait; a shared upstream call is cancelled only when every waiter left. */
  signal?: AbortSignal;
  /** RFC 7662 `token_type_hint`, e.g. `access_token`. */
  tokenTypeHint?: string;
}

/** Bounds of the introspection cache: active and inactive answers each have their own. */
export interface CacheOptions {
  /** Most active answers kept (least recently used evicted first). Default 10000. */
  maxEntries: number;
  /**
   * Most inactive answers kept, apart from the active ones, so made-up tokens never evict a valid one.
   * Default 2000.
   */
  maxNegativeEntries: number;
  /** Longest a positive answer is reused; it is also never kept past the token's `exp`. Default 60000. */
  maxTtlMs: number;
  /** How long an inactive answer is reused. Default 5000; 0 disables negative caching. */
  negativeTtlMs: number;
}

/**
 * Bounds on upstream calls for tokens the cache holds no active answer for (never seen, or only seen
 * inactive). Past them such a token is refused at once with `throttled` (503 in `requireAuth`), while
 * known tokens are still served from the cache and refreshed.
 */
export interface NewTokenLimitOptions {
  /** Sustained calls per second (a token bucket). Default 100. */
  ratePerSecond: number;
  /** Calls that may be made at once after a quiet spell (the bucket's size). Default 200. */
  burst: number;
  /** Such calls in flight at once, bounding memory and load while the identity service is slow. Default 32. */
  maxConcurrent: number;
}

/** Retries of network errors and 5xx answers (never 4xx, timeouts or malformed answers). */
export interface RetryOptions {
  /** Retries after the first try: 2 means at most 3 requests. Default 2; 0 disables. */
  attempts: number;
  /** Base delay, doubled per retry, with full jitter (a random 50–150 % of it). Default 50. */
  backoffMs: number;
}

/** Circuit breaker over the introspection endpoint. */
export interface BreakerOptions {
  /** Consecutive failed introspections that open the breaker. Default 5. */
  failureThreshold: number;
  /** How long it stays open before one probe is let through (half-open). Default 10000. */
  resetMs: number;
}

/** State of the circuit breaker. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * Options of {@link createIdentityClient}. Every one can also come from an `IDENTITY_*` variable,
 * which overrides the option (see the README for the table).
 */
export interface IdentityClientOptions {
  /** The RFC 7662 endpoint (`IDENTITY_INTROSPECTION_URL`). Required, here or in the environment. */
  introspectionUrl?: string;
  clientId?: string;
  /** A value or a function (see {@link Credential}); `IDENTITY_CLIENT_SECRET` overrides it. */
  clientSecret?: Credential;
  /** Default `client_secret_basic`. */
  clientAuth?: ClientAuthMethod;
  /**
   * The token sent as `Authorization: Bearer` when `clientAuth` is `bearer`. Give a function returning
   * `{ value, expiresAt }` for a token that expires: it is refreshed before it does.
   */
  bearerToken?: Credential;
  /** Per-request timeout. Default 2000. */
  timeoutMs?: number;
  /** Cache bounds, or `false` to introspect every call. */
  cache?: Partial<CacheOptions> | false;
  /** Limit on upstream calls for new tokens, or `false` for none (also none without a cache). */
  newTokenLimit?: Partial<NewTokenLimitOptions> | false;
  /** Retry policy, or `false` for none. */
  retry?: Partial<RetryOptions> | false;
  /** Breaker settings, or `false` for none. */
  breaker?: Partial<BreakerOptions> | false;
  /**
   * Opt-in: while the identity service is unavailable, a positive answer that left the cache less
   * than this long ago is still served (unless the token's own `exp` passed). Trades revocation
   * latency for availability. Default 0 (off).
   */
  staleIfErrorMs?: number;
  /** Record `sub` and `username` on spans as `user.id` / `user.name`. Default false. */
  recordSubject?: boolean;
  /** Send `traceparent`/`tracestate` to the identity service. Default true; turn off across a trust boundary. */
  propagateTraceContext?: boolean;
  /**
   * Also send `baggage` (only with `propagateTraceContext`). Default false: baggage often carries
   * business or personal data the identity service has no use for.
   */
  propagateBaggage?: boolean;
  /** Longer tokens are rejected before any lookup, like empty ones and non-`b64token` ones. Default 4096. */
  maxTokenLength?: number;
  /** The fetch implementation to use. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Logger for failures and breaker transitions. Default the observability logger. */
  logger?: Logger;
}

/** A client of one introspection endpoint; see {@link createIdentityClient}. */
export interface IdentityClient {
  /** Introspects `token`: from the cache, by joining a call in flight, or with one upstream call. */
  introspect(token: string, options?: IntrospectOptions): Promise<IntrospectionResult>;
  /** Drops the cached answer for `token`, e.g. on a revocation event. */
  evict(token: string): void;
  /** Drops every cached answer. */
  clearCache(): void;
  /** The breaker's current state (`closed` when the breaker is disabled). */
  readonly breakerState: BreakerState;
  /** Tokens longer than this are refused before any call. */
  readonly maxTokenLength: number;
}

/** What a token must carry to pass {@link checkTokenClaims} and `requireAuth`. */
export interface TokenRequirements {
  /** Every one of these scopes must be granted. */
  scopes?: readonly string[];
  /** The token's `aud` must contain one of these. */
  audience?: string | readonly string[];
  /** The token's `iss` must equal one of these. */
  issuer?: string | readonly string[];
  /** Allowed clock difference for `exp`/`nbf`, in seconds. Default 0. */
  clockToleranceSec?: number;
}

/** Options of `requireAuth`. */
export interface RequireAuthOptions extends TokenRequirements {
  /** The `realm` of `WWW-Authenticate`. Default `api`. */
  realm?: string;
}

declare global {
  namespace Express {
    interface Request {
      /** The introspection answer of the bearer token, set by `requireAuth`. */
      auth?: IntrospectionResult;
    }
  }
}
