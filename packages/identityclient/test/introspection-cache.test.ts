import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { IntrospectionCache, tokenKey } from '../src/introspection-cache.ts';
import { createIdentityClient } from '../src/index.ts';
import { silentLogger } from './fixtures/captured-logger.ts';
import { useStubHarness } from './fixtures/stub-harness.ts';

const T0 = 1_800_000_000_000;
const options = { maxEntries: 3, maxNegativeEntries: 2, maxTtlMs: 60_000, negativeTtlMs: 5000 };

describe('IntrospectionCache', () => {
  it('keys by SHA-256, never by the raw token', () => {
    expect(tokenKey('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect(tokenKey('secret-token')).not.toContain('secret');
  });

  it('keeps a positive answer for maxTtlMs when exp is further away', () => {
    const cache = new IntrospectionCache(options, 0);
    cache.set('k', { active: true, exp: T0 / 1000 + 3600 }, T0);
    expect(cache.get('k', T0 + 59_999)).toBeDefined();
    expect(cache.get('k', T0 + 60_000)).toBeUndefined();
  });

  it('never keeps a positive answer past the token exp', () => {
    const cache = new IntrospectionCache(options, 0);
    cache.set('k', { active: true, exp: T0 / 1000 + 10 }, T0);
    expect(cache.get('k', T0 + 9_999)).toBeDefined();
    expect(cache.get('k', T0 + 10_000)).toBeUndefined();
    cache.set('past', { active: true, exp: T0 / 1000 - 1 }, T0);
    expect(cache.get('past', T0)).toBeUndefined();
  });

  it('keeps inactive answers for negativeTtlMs, and not at all when it is 0', () => {
    const cache = new IntrospectionCache(options, 0);
    cache.set('k', { active: false }, T0);
    expect(cache.get('k', T0 + 4999)).toEqual({ active: false });
    expect(cache.get('k', T0 + 5000)).toBeUndefined();
    const noNegative = new IntrospectionCache({ ...options, negativeTtlMs: 0 }, 0);
    noNegative.set('k', { active: false }, T0);
    expect(noNegative.get('k', T0)).toBeUndefined();
  });

  it('evicts the least recently used entry beyond maxEntries', () => {
    const cache = new IntrospectionCache(options, 0);
    for (const key of ['a', 'b', 'c']) cache.set(key, { active: true }, T0);
    cache.get('a', T0);
    cache.set('d', { active: true }, T0);
    expect(cache.sizes).toEqual({ positive: 3, negative: 0 });
    expect(cache.get('b', T0)).toBeUndefined();
    expect(cache.get('a', T0)).toBeDefined();
    expect(cache.get('d', T0)).toBeDefined();
  });

  it('bounds inactive answers apart: a flood of them never evicts an active one, and evictions are told by kind', () => {
    const evicted: string[] = [];
    const cache = new IntrospectionCache(options, 0, (kind) => evicted.push(kind));
    for (const key of ['a', 'b', 'c']) cache.set(key, { active: true }, T0);
    for (let i = 0; i < 1000; i++) cache.set(`bogus-${i}`, { active: false }, T0);
    expect(cache.sizes).toEqual({ positive: 3, negative: 2 });
    for (const key of ['a', 'b', 'c']) expect(cache.get(key, T0)).toEqual({ active: true });
    expect(cache.get('bogus-999', T0)).toEqual({ active: false });
    expect(evicted).toHaveLength(998);
    expect(new Set(evicted)).toEqual(new Set(['negative']));
    cache.set('d', { active: true }, T0);
    expect(evicted.at(-1)).toBe('positive');
  });

  it('knows a token while its active answer is held, even expired, and not from an inactive answer', () => {
    const cache = new IntrospectionCache(options, 0);
    cache.set('valid', { active: true }, T0);
    cache.set('bogus', { active: false }, T0);
    expect(cache.get('valid', T0 + 60_000)).toBeUndefined();
    expect(cache.isKnown('valid')).toBe(true);
    expect(cache.isKnown('bogus')).toBe(false);
    expect(cache.isKnown('never-seen')).toBe(false);
    cache.set('valid', { active: false }, T0 + 60_000);
    expect(cache.isKnown('valid')).toBe(false);
  });

  it('serves an expired positive answer as stale only inside the window and before the token exp', () => {
    const cache = new IntrospectionCache(options, 30_000);
    cache.set('k', { active: true, exp: T0 / 1000 + 3600 }, T0);
    expect(cache.get('k', T0 + 61_000)).toBeUndefined();
    expect(cache.getStale('k', T0 + 61_000)).toBeDefined();
    expect(cache.getStale('k', T0 + 90_000)).toBeUndefined();
    cache.set('short', { active: true, exp: T0 / 1000 + 70 }, T0);
    expect(cache.getStale('short', T0 + 69_000)).toBeDefined();
    expect(cache.getStale('short', T0 + 70_000)).toBeUndefined();
    cache.set('neg', { active: false }, T0);
    expect(cache.getStale('neg', T0 + 6000)).toBeUndefined();
  });
});

describe('caching in the client', () => {
  const { telemetry, stub } = useStubHarness();

  const client = (cache?: false) =>
    createIdentityClient({ introspectionUrl: stub.url, clientId: 'c', clientSecret: 's', cache, logger: silentLogger });

  it('answers a repeated token from the cache, marking the caller span identity.cache=hit', async () => {
    stub.reply(() => ({ body: { active: true, scope: 'a' } }));
    const identity = client();
    const before = stub.requests.length;
    await identity.introspect('repeat-me');
    telemetry.reset();
    await trace.getTracer('test').startActiveSpan('GET /orders', async (span) => {
      expect(await identity.introspect('repeat-me')).toMatchObject({ active: true, scope: 'a' });
      span.end();
    });
    expect(stub.requests.length).toBe(before + 1);
    const spans = telemetry.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]?.attributes).toMatchObject({ 'identity.cache': 'hit', 'identity.token.active': true });
  });

  it('caches inactive answers too (negative caching), and evict() forgets a token', async () => {
    stub.reply(() => ({ body: { active: false } }));
    const identity = client();
    const before = stub.requests.length;
    for (let i = 0; i < 5; i++) expect(await identity.introspect('unknown')).toEqual({ active: false });
    expect(stub.requests.length).toBe(before + 1);
    identity.evict('unknown');
    await identity.introspect('unknown');
    expect(stub.requests.length).toBe(before + 2);
  });

  it('calls upstream every time with cache: false, and returns frozen answers', async () => {
    stub.reply(() => ({ body: { active: true, aud: ['x'] } }));
    const identity = client(false);
    const before = stub.requests.length;
    const first = await identity.introspect('t');
    await identity.introspect('t');
    expect(stub.requests.length).toBe(before + 2);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.aud)).toBe(true);
  });
});
