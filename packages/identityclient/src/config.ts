import { getLogger, readBoolean, readNumber, readString, shown, warnOnce } from '@service-runtime/observability';
import { IdentityConfigError } from './errors.ts';
import type { ResolvedConfig } from './internal-types.ts';
import { isB64Token } from './token-screen.ts';
import type {
  BreakerOptions,
  CacheOptions,
  ClientAuthMethod,
  Credential,
  IdentityClientOptions,
  NewTokenLimitOptions,
  RetryOptions,
} from './types.ts';

const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'bearer'];

/** Longest delay a Node.js timer accepts (2^31 − 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/** Built-in defaults, used when neither env nor options give a (valid) value. */
export const DEFAULTS = {
  timeoutMs: 2000,
  cache: { maxEntries: 10_000, maxNegativeEntries: 2000, maxTtlMs: 60_000, negativeTtlMs: 5000 } satisfies CacheOptions,
  newTokenLimit: { ratePerSecond: 100, burst: 200, maxConcurrent: 32 } satisfies NewTokenLimitOptions,
  retry: { attempts: 2, backoffMs: 50 } satisfies RetryOptions,
  breaker: { failureThreshold: 5, resetMs: 10_000 } satisfies BreakerOptions,
  maxTokenLength: 4096,
};

/**
 * Resolves every setting in one place: `IDENTITY_*` env over options over defaults. A bad value
 * warns once and falls back; a missing URL or missing credentials throw {@link IdentityConfigError}.
 * Secrets and URLs are never echoed in warnings or errors.
 */
export function resolveConfig(options: IdentityClientOptions, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const url = resolveUrl(options, env);
  const clientAuth = resolveClientAuth(options, env);
  const clientId = readString('IDENTITY_CLIENT_ID', env) ?? options.clientId;
  const clientSecret = readString('IDENTITY_CLIENT_SECRET', env) ?? credential(options.clientSecret);
  const bearerToken = readString('IDENTITY_BEARER_TOKEN', env) ?? credential(options.bearerToken);
  if (clientAuth === 'bearer' && !bearerToken)
    throw new IdentityConfigError(
      'clientAuth "bearer" needs a bearerToken string or function (or IDENTITY_BEARER_TOKEN)',
    );
  if (clientAuth === 'bearer' && typeof bearerToken === 'string' && !isB64Token(bearerToken))
    throw new IdentityConfigError(
      'the bearer token (bearerToken or IDENTITY_BEARER_TOKEN) is not an RFC 6750 b64token',
    );
  if (clientAuth !== 'bearer' && (!clientId || !clientSecret))
    throw new IdentityConfigError(
      `clientAuth "${clientAuth}" needs clientId and clientSecret (or IDENTITY_CLIENT_ID and IDENTITY_CLIENT_SECRET)`,
    );

  const cacheEnabled = readBoolean('IDENTITY_CACHE_ENABLED', env) ?? options.cache !== false;
  const cacheOptions = options.cache === false ? {} : (options.cache ?? {});
  const retryOptions = options.retry === false ? { attempts: 0 } : (options.retry ?? {});
  const limitEnabled = readBoolean('IDENTITY_NEW_TOKEN_LIMIT_ENABLED', env) ?? options.newTokenLimit !== false;
  const limitOptions = options.newTokenLimit === false ? {} : (options.newTokenLimit ?? {});
  const breakerEnabled = readBoolean('IDENTITY_BREAKER_ENABLED', env) ?? options.breaker !== false;
  const breakerOptions = options.breaker === false ? {} : (options.breaker ?? {});
  const count = (name: string, value: number | undefined, fallback: number, min: number) =>
    setting(name, value, fallback, env, min, true);
  const millis = (name: string, value: number | undefined, fallback: number, min = 0) =>
    setting(name, value, fallback, env, min, false);

  return {
    url,
    clientId,
    clientSecret,
    clientAuth,
    bearerToken,
    timeoutMs: millis('IDENTITY_TIMEOUT_MS', options.timeoutMs, DEFAULTS.timeoutMs, 1),
    cache: cacheEnabled
      ? {
          maxEntries: count('IDENTITY_CACHE_MAX_ENTRIES', cacheOptions.maxEntries, DEFAULTS.cache.maxEntries, 1),
          maxNegativeEntries: count(
            'IDENTITY_CACHE_MAX_NEGATIVE_ENTRIES',
            cacheOptions.maxNegativeEntries,
            DEFAULTS.cache.maxNegativeEntries,
            1,
          ),
          maxTtlMs: millis('IDENTITY_CACHE_MAX_TTL_MS', cacheOptions.maxTtlMs, DEFAULTS.cache.maxTtlMs),
          negativeTtlMs: millis(
            'IDENTITY_CACHE_NEGATIVE_TTL_MS',
            cacheOptions.negativeTtlMs,
            DEFAULTS.cache.negativeTtlMs,
          ),
        }
      : false,
    newTokenLimit:
      limitEnabled && cacheEnabled
        ? {
            ratePerSecond: count(
              'IDENTITY_NEW_TOKEN_RATE',
              limitOptions.ratePerSecond,
              DEFAULTS.newTokenLimit.ratePerSecond,
              1,
            ),
            burst: count('IDENTITY_NEW_TOKEN_BURST', limitOptions.burst, DEFAULTS.newTokenLimit.burst, 1),
            maxConcurrent: count(
              'IDENTITY_NEW_TOKEN_MAX_CONCURRENT',
              limitOptions.maxConcurrent,
              DEFAULTS.newTokenLimit.maxConcurrent,
              1,
            ),
          }
        : false,
    retry: {
      attempts: count('IDENTITY_RETRY_ATTEMPTS', retryOptions.attempts, DEFAULTS.retry.attempts, 0),
      backoffMs: millis('IDENTITY_RETRY_BACKOFF_MS', retryOptions.backoffMs, DEFAULTS.retry.backoffMs),
    },
    breaker: breakerEnabled
      ? {
          failureThreshold: count(
            'IDENTITY_BREAKER_FAILURE_THRESHOLD',
            breakerOptions.failureThreshold,
            DEFAULTS.breaker.failureThreshold,
            1,
          ),
          resetMs: millis('IDENTITY_BREAKER_RESET_MS', breakerOptions.resetMs, DEFAULTS.breaker.resetMs, 1),
        }
      : false,
    staleIfErrorMs: millis('IDENTITY_STALE_IF_ERROR_MS', options.staleIfErrorMs, 0),
    recordSubject: readBoolean('IDENTITY_RECORD_SUBJECT', env) ?? options.recordSubject ?? false,
    propagateTraceContext:
      readBoolean('IDENTITY_PROPAGATE_TRACE_CONTEXT', env) ?? options.propagateTraceContext ?? true,
    propagateBaggage: readBoolean('IDENTITY_PROPAGATE_BAGGAGE', env) ?? options.propagateBaggage ?? false,
    maxTokenLength: count('IDENTITY_MAX_TOKEN_LENGTH', options.maxTokenLength, DEFAULTS.maxTokenLength, 1),
    fetch: options.fetch ?? globalThis.fetch,
    logger: options.logger ?? getLogger().child({ component: 'identityclient' }),
  };
}

/** A non-empty string or a function; anything else counts as missing (and is never echoed). */
function credential(value: unknown): Credential | undefined {
  if (typeof value === 'function') return value as Credential;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function resolveUrl(options: IdentityClientOptions, env: NodeJS.ProcessEnv): URL {
  const fromEnv = parseUrl(readString('IDENTITY_INTROSPECTION_URL', env));
  if (fromEnv === null)
    warnOnce('IDENTITY_INTROSPECTION_URL is not an http(s) URL without credentials; using the introspectionUrl option');
  const fromOptions = parseUrl(options.introspectionUrl);
  if (fromEnv) return fromEnv;
  if (fromOptions) return fromOptions;
  throw new IdentityConfigError(
    fromOptions === null
      ? 'introspectionUrl must be an http(s) URL without credentials'
      : 'no introspection URL: set IDENTITY_INTROSPECTION_URL or the introspectionUrl option',
  );
}

/** undefined when unset, null when invalid (never echoing the value, which may hold credentials). */
function parseUrl(value: string | undefined): URL | undefined | null {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (url.username !== '' || url.password !== '') return null;
    return url;
  } catch {
    return null;
  }
}

function resolveClientAuth(options: IdentityClientOptions, env: NodeJS.ProcessEnv): ClientAuthMethod {
  const fallback = isClientAuth(options.clientAuth) ? options.clientAuth : 'client_secret_basic';
  if (options.clientAuth !== undefined && !isClientAuth(options.clientAuth))
    warnOnce(`identityclient option clientAuth is not one of ${CLIENT_AUTH_METHODS.join(', ')}; using ${fallback}`);
  const value = readString('IDENTITY_CLIENT_AUTH', env)?.toLowerCase();
  if (value === undefined) return fallback;
  if (isClientAuth(value)) return value;
  warnOnce(`IDENTITY_CLIENT_AUTH=${shown(value)} is not one of ${CLIENT_AUTH_METHODS.join(', ')}; using ${fallback}`);
  return fallback;
}

function isClientAuth(value: unknown): value is ClientAuthMethod {
  return (CLIENT_AUTH_METHODS as readonly unknown[]).includes(value);
}

/** Env over option over default; a bad env value or option warns once and falls back to the next. */
function setting(
  name: string,
  option: number | undefined,
  fallback: number,
  env: NodeJS.ProcessEnv,
  min: number,
  integer: boolean,
): number {
  // a duration past Node's timer range would fire at once (setTimeout) or throw (AbortSignal.timeout)
  const max = integer ? Number.MAX_SAFE_INTEGER : MAX_TIMER_MS;
  const valid = (value: number) =>
    Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  let base = fallback;
  if (option !== undefined) {
    if (valid(option)) base = option;
    else
      warnOnce(
        `identityclient option for ${name} (${String(option)}) is not ${describe(min, integer)}; using ${fallback}`,
      );
  }
  const fromEnv = readNumber(name, String(base), env, { min, max });
  if (fromEnv === undefined) return wholeMs(base, integer);
  if (integer && !Number.isInteger(fromEnv)) {
    warnOnce(`${name}=${shown(String(fromEnv))} is not an integer; using ${base}`);
    return base;
  }
  return wholeMs(fromEnv, integer);
}

// AbortSignal.timeout takes whole milliseconds only (1.5 throws a RangeError on every request).
function wholeMs(value: number, integer: boolean): number {
  return integer ? value : Math.ceil(value);
}

function describe(min: number, integer: boolean): string {
  return integer ? `an integer >= ${min}` : `a number of ms in [${min}, ${MAX_TIMER_MS}]`;
}
