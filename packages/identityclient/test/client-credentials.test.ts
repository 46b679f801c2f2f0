import { afterEach, describe, expect, it } from 'vitest';
import { CredentialSource } from '../src/credential-source.ts';
import { createIdentityClient, IdentityUnavailableError } from '../src/index.ts';
import { capturedLogger, silentLogger } from './fixtures/captured-logger.ts';
import { useStubHarness } from './fixtures/stub-harness.ts';

const { stub } = useStubHarness();
afterEach(() => stub.reply(() => ({ body: { active: true } })));

const T0 = 1_800_000_000_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A token service: mints client tokens that live `lifetimeMs`, and judges what the stub receives. */
function tokenService(lifetimeMs: number) {
  const issued = new Map<string, number>();
  const revoked = new Set<string>();
  let minted = 0;
  let lastExpiresAt = 0;
  /** Mints that came while the previous token was still valid: refreshed ahead, not on expiry. */
  let early = 0;
  return {
    issued,
    revoked,
    get early() {
      return early;
    },
    get minted() {
      return minted;
    },
    mint: async () => {
      const value = `client-token-${++minted}`;
      if (Date.now() < lastExpiresAt) early += 1;
      const expiresAt = Date.now() + lifetimeMs;
      lastExpiresAt = expiresAt;
      issued.set(value, expiresAt);
      return { value, expiresAt };
    },
    accepts: (authorization: string | undefined) => {
      const value = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
      const expiresAt = issued.get(value);
      return expiresAt !== undefined && expiresAt > Date.now() && !revoked.has(value);
    },
  };
}

const bearerClient = (bearerToken: () => Promise<{ value: string; expiresAt: number }>, fetchImpl = fetch) =>
  createIdentityClient({
    introspectionUrl: stub.url,
    clientAuth: 'bearer',
    bearerToken,
    cache: false,
    retry: false,
    fetch: fetchImpl,
    logger: silentLogger,
  });

describe('a bearer client token that expires', () => {
  it('is refreshed before it expires: a run across several expiries sends no expired token and gets no 503', async () => {
    const service = tokenService(2500);
    stub.reply((request) =>
      service.accepts(request.headers.authorization)
        ? { body: { active: true } }
        : { status: 401, body: { error: 'invalid_token' } },
    );
    // what the client sent, judged when it was sent (the stub's clock may see it late under load)
    const sentExpired: string[] = [];
    const identity = bearerClient(service.mint, (input, init) => {
      const value = new Headers(init?.headers).get('authorization')?.slice('Bearer '.length) ?? '';
      if (!((service.issued.get(value) ?? 0) > Date.now())) sentExpired.push(value);
      return fetch(input, init);
    });
    const failures: unknown[] = [];
    const until = Date.now() + 6500;
    let calls = 0;
    while (Date.now() < until) {
      const batch = Array.from({ length: 5 }, () => identity.introspect(`user-token-${calls++}`));
      for (const outcome of await Promise.allSettled(batch))
        if (outcome.status === 'rejected') failures.push(outcome.reason);
      await sleep(20);
    }
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(100);
    expect(service.minted).toBeGreaterThanOrEqual(3);
    expect(service.early).toBeGreaterThanOrEqual(1);
    expect(sentExpired).toEqual([]);
  });

  it('is replaced at once when the identity service refuses it before its expiry (one immediate retry)', async () => {
    const service = tokenService(60_000);
    stub.reply((request) =>
      service.accepts(request.headers.authorization)
        ? { body: { active: true } }
        : { status: 401, body: { error: 'invalid_token' } },
    );
    const identity = bearerClient(service.mint);
    expect((await identity.introspect('a')).active).toBe(true);
    service.revoked.add('client-token-1');
    expect((await identity.introspect('b')).active).toBe(true);
    expect(service.minted).toBe(2);
    expect(stub.requests.at(-1)?.headers.authorization).toBe('Bearer client-token-2');
  });

  it('is not retried when it is a fixed value: a 401 for our own credentials is an outage (503)', async () => {
    stub.reply(() => ({ status: 401, body: { error: 'invalid_client' } }));
    const identity = createIdentityClient({
      introspectionUrl: stub.url,
      clientAuth: 'bearer',
      bearerToken: 'fixed',
      retry: false,
      logger: silentLogger,
    });
    const before = stub.requests.length;
    await expect(identity.introspect('t')).rejects.toMatchObject({ reason: 'http_status', status: 401 });
    expect(stub.requests.length - before).toBe(1);
  });
});

describe('credentials given as functions', () => {
  it('rotates a client secret without a restart: the function is asked for every upstream call', async () => {
    let secret = 'first-secret';
    stub.reply((request) =>
      request.headers.authorization === `Basic ${Buffer.from(`gw:${secret}`).toString('base64')}`
        ? { body: { active: true } }
        : { status: 401, body: { error: 'invalid_client' } },
    );
    const identity = createIdentityClient({
      introspectionUrl: stub.url,
      clientId: 'gw',
      clientSecret: () => secret,
      cache: false,
      retry: false,
      logger: silentLogger,
    });
    expect((await identity.introspect('a')).active).toBe(true);
    secret = 'rotated-secret';
    expect((await identity.introspect('b')).active).toBe(true);
  });

  it('puts a function-given secret in the form for client_secret_post', async () => {
    const identity = createIdentityClient({
      introspectionUrl: stub.url,
      clientId: 'gw',
      clientSecret: async () => 'post-secret',
      clientAuth: 'client_secret_post',
      logger: silentLogger,
    });
    await identity.introspect('t');
    expect(stub.requests.at(-1)?.form.get('client_secret')).toBe('post-secret');
    expect(stub.requests.at(-1)?.headers.authorization).toBeUndefined();
  });

  it('turns a failing credential function into a 503-class error (credentials) that never quotes a credential', async () => {
    const { logger, lines } = capturedLogger();
    const identity = createIdentityClient({
      introspectionUrl: stub.url,
      clientAuth: 'bearer',
      bearerToken: () => ({ value: '' }),
      retry: false,
      logger,
    });
    const before = stub.requests.length;
    const error = await identity.introspect('t').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityUnavailableError);
    expect(error).toMatchObject({ code: 'IDENTITY_UNAVAILABLE', reason: 'credentials' });
    expect(stub.requests.length).toBe(before);
    expect(lines.join('\n')).toContain('credentials');
  });
});

describe('CredentialSource', () => {
  it('keeps a value with an expiry, refreshes it in the background a fifth of its life before it expires', async () => {
    let now = T0;
    let calls = 0;
    const source = new CredentialSource(
      () => ({ value: `v${++calls}`, expiresAt: now + 10_000 }),
      () => undefined,
      () => now,
    );
    expect(await source.get()).toBe('v1');
    now = T0 + 7999;
    expect(await source.get()).toBe('v1');
    expect(calls).toBe(1);
    now = T0 + 8000;
    expect(await source.get()).toBe('v1');
    await sleep(0);
    expect(calls).toBe(2);
    expect(await source.get()).toBe('v2');
  });

  it('keeps using the current value while refreshes fail, until it expires', async () => {
    let now = T0;
    let healthy = true;
    const failures: unknown[] = [];
    const source = new CredentialSource(
      () => {
        if (!healthy) throw new Error('token endpoint down');
        return { value: 'v', expiresAt: now + 10_000 };
      },
      (error) => failures.push(error),
      () => now,
    );
    await source.get();
    healthy = false;
    now = T0 + 9000;
    expect(await source.get()).toBe('v');
    await sleep(0);
    expect(failures).toHaveLength(1);
    now = T0 + 10_000;
    await expect(source.get()).rejects.toMatchObject({ reason: 'credentials' });
  });

  it('asks again for every request when the function returns a plain string', async () => {
    let calls = 0;
    const source = new CredentialSource(
      () => `v${++calls}`,
      () => undefined,
    );
    expect([await source.get(), await source.get()]).toEqual(['v1', 'v2']);
    expect(source.rotates).toBe(true);
    expect(new CredentialSource('fixed', () => undefined).rotates).toBe(false);
  });
});
