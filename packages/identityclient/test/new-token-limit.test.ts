import { describe, expect, it } from 'vitest';
import { NewTokenLimit } from '../src/new-token-limit.ts';
import { screenToken } from '../src/token-screen.ts';

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
