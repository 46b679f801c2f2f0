import { randomBytes } from 'node:crypto';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentityProvider, type IdentityProvider } from '../../../test/helpers/identity-provider.ts';
import { createIdentityClient, IdentityUnavailableError } from '../src/index.ts';
import { silentLogger } from './fixtures/captured-logger.ts';

const VALID_TOKENS = 100;
const BOGUS_TOKENS = 20_000;
const ROUNDS = 20;
const LIMIT = { ratePerSecond: 200, burst: 150, maxConcurrent: 8 };
const CACHE = { maxEntries: 1000, maxNegativeEntries: 20 };

let telemetry: TestTelemetry;
let provider: IdentityProvider;
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  telemetry = setupTestTelemetry();
  provider = await startIdentityProvider({
    // counts introspection requests the provider is serving at once
    wrap: (handler) => (req, res) => {
      if (req.url?.startsWith('/token/introspection')) {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        res.once('close', () => (inFlight -= 1));
      }
      handler(req, res);
    },
  });
});
afterAll(async () => {
  await provider.close();
  await telemetry.shutdown();
});

/** The value of one series in the Prometheus text, found by its labels. */
function series(text: string, name: string, labels: Record<string, string>): number {
  const line = text
    .split('\n')
    .find(
      (candidate) =>
        candidate.startsWith(`${name}{`) &&
        Object.entries(labels).every(([label, value]) => candidate.includes(`${label}="${value}"`)),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('a flood of made-up tokens against a real oidc-provider', () => {
  it('keeps 100 valid tokens served from the cache while 20,000 bogus tokens arrive, with bounded upstream calls and memory', async () => {
    const valid: string[] = [];
    for (let i = 0; i < VALID_TOKENS; i++) valid.push(await provider.mintToken({ scope: 'orders:read' }));
    const validSet = new Set(valid);
    const upstream = { valid: 0, bogus: 0 };
    const countingFetch: typeof fetch = (input, init) => {
      const token = new URLSearchParams(String(init?.body)).get('token') ?? '';
      upstream[validSet.has(token) ? 'valid' : 'bogus'] += 1;
      return fetch(input, init);
    };
    const started = performance.now();
    const identity = createIdentityClient({
      introspectionUrl: provider.introspectionUrl,
      ...provider.introspectionClient,
      cache: CACHE,
      newTokenLimit: LIMIT,
      fetch: countingFetch,
      logger: silentLogger,
    });

    for (const token of valid) expect((await identity.introspect(token)).active).toBe(true);
    expect(upstream).toEqual({ valid: VALID_TOKENS, bogus: 0 });

    const outcomes = { validServed: 0, bogusInactive: 0, bogusThrottled: 0, other: [] as unknown[] };
    const perRound = BOGUS_TOKENS / ROUNDS;
    for (let round = 0; round <= ROUNDS; round++) {
      // the last round, after the flood, sends only the valid tokens
      const bogus = round < ROUNDS ? Array.from({ length: perRound }, () => randomBytes(24).toString('base64url')) : [];
      const half = bogus.length / 2;
      const requests = [...bogus.slice(0, half), ...valid, ...bogus.slice(half)];
      const settled = await Promise.allSettled(requests.map((token) => identity.introspect(token)));
      settled.forEach((outcome, i) => {
        const isValid = validSet.has(requests[i]!);
        if (outcome.status === 'fulfilled' && outcome.value.active === isValid) {
          if (isValid) outcomes.validServed += 1;
          else outcomes.bogusInactive += 1;
        } else if (!isValid && outcome.status === 'rejected' && isThrottled(outcome.reason)) {
          outcomes.bogusThrottled += 1;
        } else outcomes.other.push(outcome.status === 'rejected' ? outcome.reason : outcome.value);
      });
    }
    const elapsedSeconds = (performance.now() - started) / 1000;

    // every valid-token request answered, none of them upstream after the warm-up
    expect(outcomes.other).toEqual([]);
    expect(outcomes.validServed).toBe(VALID_TOKENS * (ROUNDS + 1));
    expect(upstream.valid).toBe(VALID_TOKENS);
    // every bogus token either went upstream (inside the limit) or was refused by it
    expect(outcomes.bogusInactive).toBe(upstream.bogus);
    expect(outcomes.bogusInactive + outcomes.bogusThrottled).toBe(BOGUS_TOKENS);
    expect(upstream.bogus).toBeGreaterThan(CACHE.maxNegativeEntries);
    expect(upstream.bogus).toBeLessThanOrEqual(ROUNDS * LIMIT.maxConcurrent);
    expect(upstream.valid + upstream.bogus).toBeLessThanOrEqual(LIMIT.burst + LIMIT.ratePerSecond * elapsedSeconds);
    expect(maxInFlight).toBeLessThanOrEqual(LIMIT.maxConcurrent);

    // the metrics say the same; memory is bounded: the cache holds the valid tokens and at most the negative bound
    const text = await telemetry.prometheusText();
    const port = new URL(provider.introspectionUrl).port;
    const at = { server_port: port };
    expect(series(text, 'identity_cache_lookups_total', { ...at, identity_cache: 'hit' })).toBe(
      VALID_TOKENS * (ROUNDS + 1),
    );
    expect(
      series(text, 'identity_introspection_throttled_total', { ...at, identity_throttle_limit: 'rate' }) +
        series(text, 'identity_introspection_throttled_total', { ...at, identity_throttle_limit: 'concurrency' }),
    ).toBe(outcomes.bogusThrottled);
    expect(series(text, 'identity_cache_entries', { ...at, identity_cache_entry: 'positive' })).toBe(VALID_TOKENS);
    expect(series(text, 'identity_cache_entries', { ...at, identity_cache_entry: 'negative' })).toBe(
      CACHE.maxNegativeEntries,
    );
    expect(series(text, 'identity_cache_evictions_total', { ...at, identity_cache_entry: 'negative' })).toBe(
      upstream.bogus - CACHE.maxNegativeEntries,
    );
    expect(series(text, 'identity_cache_evictions_total', { ...at, identity_cache_entry: 'positive' })).toBe(0);
  });
});

function isThrottled(error: unknown): boolean {
  return error instanceof IdentityUnavailableError && error.reason === 'throttled';
}
