import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createIdentityClient } from '../src/index.ts';
import { NewTokenLimit } from '../src/new-token-limit.ts';
import { screenToken } from '../src/token-screen.ts';
import { silentLogger } from './fixtures/captured-logger.ts';
import { useStubHarness } from './fixtures/stub-harness.ts';

const T0 = 1_800_000_000_000;

describe('NewTokenLimit', () => {
  it('admits a burst, then ratePerSecond, refilling continuously up to the burst', () => {
    let now = T0;
    const limit = new NewTokenLimit({ ratePerSecond: 10, burst: 5, maxConcurrent: 1000 }, () => now);
    const admitted = () => {
      let count = 0;
      while (limit.acquire() === undefined) count += 1;
      return count;
    };
    expect(admitted()).toBe(5);
    expect(limit.acquire()).toEqual({ limit: 'rate', retryAfterMs: 100 });
    now += 300;
    expect(admitted()).toBe(3);
    now += 60_000;
    expect(admitted()).toBe(5);
  });

  it('admits at most maxConcurrent calls in flight; a release frees a slot', () => {
    const limit = new NewTokenLimit({ ratePerSecond: 1000, burst: 1000, maxConcurrent: 2 }, () => T0);
    expect(limit.acquire()).toBeUndefined();
    expect(limit.acquire()).toBeUndefined();
    expect(limit.acquire()).toMatchObject({ limit: 'concurrency' });
    expect(limit.inFlight).toBe(2);
    limit.release();
    expect(limit.acquire()).toBeUndefined();
  });
});

describe('screenToken', () => {
  it('refuses empty, over-long and non-b64token tokens; accepts opaque tokens and JWTs', () => {
    expect(screenToken('', 10)).toBe('empty');
    expect(screenToken(undefined, 10)).toBe('empty');
    expect(screenToken('a'.repeat(11), 10)).toBe('too_long');
    for (const bad of ['a b', 'tok{en}', 'ä', 'a=b', 'x\n', '"q"', 'a,b'])
      expect(screenToken(bad, 100)).toBe('malformed');
    for (const good of ['abc', 'A-Z_a.z~0+9/x==', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'])
      expect(screenToken(good, 100)).toBeUndefined();
  });
});

describe('the new-token limit in the client', () => {
  const { stub, telemetry } = useStubHarness();

  it('never refuses a known token: its expired answer is refreshed while the limit is full, an unknown one is throttled', async () => {
    stub.reply((request) =>
      request.form.get('token') === 'slow-unknown' ? { hang: true } : { body: { active: true } },
    );
    const identity = createIdentityClient({
      introspectionUrl: stub.url,
      clientId: 'c',
      clientSecret: 's',
      cache: { maxTtlMs: 1 },
      newTokenLimit: { ratePerSecond: 1000, burst: 1000, maxConcurrent: 1 },
      timeoutMs: 60_000,
      logger: silentLogger,
    });
    expect((await identity.introspect('known')).active).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 10)); // its answer (1 ms) has expired
    // the one in-flight slot is taken, synchronously, by an unknown token the provider never answers
    const hold = new AbortController();
    const slow = identity.introspect('slow-unknown', { signal: hold.signal }).catch((error: unknown) => error);
    const before = stub.requests.length;
    telemetry.reset();
    await trace.getTracer('test').startActiveSpan('GET /orders', async (span) => {
      await expect(identity.introspect('other-unknown')).rejects.toMatchObject({ reason: 'throttled' });
      span.end();
    });
    // no span of its own: the caller's span says what happened
    expect(telemetry.spans().map((span) => [span.name, span.attributes])).toEqual([
      ['GET /orders', { 'identity.cache': 'throttled', 'error.type': 'throttled' }],
    ]);
    expect((await identity.introspect('known')).active).toBe(true);
    expect(stub.requests.slice(before).map((request) => request.form.get('token'))).toContain('known');
    expect(stub.requests.map((request) => request.form.get('token'))).not.toContain('other-unknown');
    hold.abort(new Error('test over'));
    expect(await slow).toMatchObject({ message: 'test over' });
  });
});
