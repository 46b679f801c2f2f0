// Arbitrary environment values for the OTEL_* readers and for each package's config reader: no
// throw (except the documented typed config errors), every resolved setting in its domain, every
// duration usable by a Node.js timer, and warnings that name the variable without echoing secrets.
import { resolveBodyLimit, resolveShutdownTimeoutMs } from '../../packages/httpkit/src/config.ts';
import { resolveConfig as resolveIdentityConfig } from '../../packages/identityclient/src/config.ts';
import { IdentityConfigError } from '../../packages/identityclient/src/errors.ts';
import { resolveBusConfig } from '../../packages/natsbus/src/config.ts';
import { ConfigError } from '../../packages/natsbus/src/errors.ts';
import { resetConfigWarnings, setConfigWarningSink } from '../../packages/observability/src/env.ts';
import { readBoolean, readList, readNumber, readString } from '@service-runtime/observability';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/** Node's largest timer delay; anything longer fires after 1 ms (setTimeout) or throws (AbortSignal.timeout). */
const MAX_TIMER_MS = 2_147_483_647;
const SECRET = 's3cr3t-value-never-logged';

const warnings: string[] = [];
let previousSink: ((message: string) => void) | undefined;
beforeAll(() => {
  previousSink = setConfigWarningSink((message) => void warnings.push(message));
});
afterAll(() => {
  if (previousSink) setConfigWarningSink(previousSink);
});
afterEach(() => {
  warnings.length = 0;
  resetConfigWarnings();
});

/** Values people (and typos) put in environment variables. */
const envValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('', ' ', 'true', 'FALSE', 'yes', '0', '-1', '1.5', 'NaN', 'Infinity', '1e400', '1e20', '2147483648'),
  fc.double().map(String),
  fc.integer().map(String),
  fc.constantFrom('otlp', 'console,otlp', 'none', 'zipkin', 'b3,foo', 'http/json', 'grpc', 'x=y,z', '%zz=1'),
);

const envFor = (names: readonly string[]) =>
  fc.dictionary(fc.constantFrom(...names), envValue, { maxKeys: names.length }) as fc.Arbitrary<Record<string, string>>;

const timerSafe = (ms: number) => Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIMER_MS;

describe('env readers', () => {
  it('readNumber/readBoolean/readList/readString never throw and stay in their domain', () => {
    fc.assert(
      fc.property(envValue, fc.integer({ min: -10, max: 10 }), fc.integer({ min: 0, max: 100 }), (value, min, span) => {
        const env = { X_VAR: value };
        const n = readNumber('X_VAR', 'the default', env, { min, max: min + span });
        if (n !== undefined) expect(n >= min && n <= min + span && Number.isFinite(n)).toBe(true);
        const b = readBoolean('X_VAR', env);
        if (b !== undefined) expect(value.trim().toLowerCase()).toBe(String(b));
        const list = readList('X_VAR', env);
        if (list !== undefined) expect(list.every((item) => item !== '' && item === item.trim())).toBe(true);
        const s = readString('X_VAR', env);
        expect(s === undefined ? value.trim() === '' : s === value.trim()).toBe(true);
        for (const warning of warnings) expect(warning).toContain('X_VAR');
        warnings.length = 0;
        resetConfigWarnings();
      }),
      { numRuns: 200 },
    );
  });
});

describe('package config readers under arbitrary environments', () => {
  it('identityclient: a typed config error or settings in range, durations timer-safe, secrets never echoed', () => {
    const names = [
      'IDENTITY_INTROSPECTION_URL',
      'IDENTITY_CLIENT_AUTH',
      'IDENTITY_TIMEOUT_MS',
      'IDENTITY_CACHE_ENABLED',
      'IDENTITY_CACHE_MAX_ENTRIES',
      'IDENTITY_CACHE_MAX_TTL_MS',
      'IDENTITY_CACHE_NEGATIVE_TTL_MS',
      'IDENTITY_RETRY_ATTEMPTS',
      'IDENTITY_RETRY_BACKOFF_MS',
      'IDENTITY_BREAKER_ENABLED',
      'IDENTITY_BREAKER_FAILURE_THRESHOLD',
      'IDENTITY_BREAKER_RESET_MS',
      'IDENTITY_STALE_IF_ERROR_MS',
      'IDENTITY_MAX_TOKEN_LENGTH',
    ] as const;
    fc.assert(
      fc.property(envFor(names), (env) => {
        const full = { ...env, IDENTITY_CLIENT_SECRET: SECRET };
        let config: ReturnType<typeof resolveIdentityConfig>;
        try {
          config = resolveIdentityConfig(
            { introspectionUrl: 'http://127.0.0.1:1/introspect', clientId: 'gw', clientSecret: 'x' },
            full,
          );
        } catch (error) {
          expect(error).toBeInstanceOf(IdentityConfigError);
          expect((error as Error).message).not.toContain(SECRET);
          return;
        }
        expect(['http:', 'https:']).toContain(config.url.protocol);
        expect(timerSafe(config.timeoutMs) && config.timeoutMs >= 1).toBe(true);
        expect(timerSafe(config.retry.backoffMs)).toBe(true);
        expect(Number.isInteger(config.retry.attempts) && config.retry.attempts >= 0).toBe(true);
        expect(timerSafe(config.staleIfErrorMs)).toBe(true);
        expect(Number.isInteger(config.maxTokenLength) && config.maxTokenLength >= 1).toBe(true);
        if (config.cache) {
          expect(Number.isInteger(config.cache.maxEntries) && config.cache.maxEntries >= 1).toBe(true);
          expect(timerSafe(config.cache.maxTtlMs) && timerSafe(config.cache.negativeTtlMs)).toBe(true);
        }
        if (config.breaker) {
          expect(Number.isInteger(config.breaker.failureThreshold) && config.breaker.failureThreshold >= 1).toBe(true);
          expect(timerSafe(config.breaker.resetMs)).toBe(true);
        }
        for (const warning of warnings) expect(warning).not.toContain(SECRET);
        // a working client can be built from it: the per-request timeout signal is constructible
        expect(() => AbortSignal.timeout(config.timeoutMs)).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });

  it('natsbus: a typed ConfigError or a content mode it knows', () => {
    const names = ['NATS_URL', 'NATSBUS_SOURCE', 'NATSBUS_EXTERNAL_SUBJECTS', 'NATSBUS_CONTENT_MODE'] as const;
    fc.assert(
      fc.property(envFor(names), fc.boolean(), (env, withServers) => {
        try {
          const config = resolveBusConfig(
            { source: '/svc', ...(withServers ? { servers: 'nats://127.0.0.1:4222' } : {}) },
            env,
          );
          expect(['structured', 'binary']).toContain(config.contentMode);
          expect(config.source.trim()).not.toBe('');
          expect(config.servers?.length).toBeGreaterThan(0);
          expect(config.externalSubjects.every((s) => s !== '')).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect(withServers).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('httpkit: body limit and shutdown timeout are usable numbers whatever the environment says', () => {
    fc.assert(
      fc.property(envValue, envValue, (limit, timeout) => {
        const saved = [process.env['HTTPKIT_BODY_LIMIT'], process.env['HTTPKIT_SHUTDOWN_TIMEOUT_MS']];
        process.env['HTTPKIT_BODY_LIMIT'] = limit;
        process.env['HTTPKIT_SHUTDOWN_TIMEOUT_MS'] = timeout;
        try {
          const bytes = resolveBodyLimit(undefined);
          expect(Number.isFinite(bytes) && bytes >= 0).toBe(true);
          expect(timerSafe(resolveShutdownTimeoutMs(undefined))).toBe(true);
        } finally {
          restore('HTTPKIT_BODY_LIMIT', saved[0]);
          restore('HTTPKIT_SHUTDOWN_TIMEOUT_MS', saved[1]);
        }
      }),
      { numRuns: 200 },
    );
  });
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
