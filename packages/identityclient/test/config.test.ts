import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIdentityClient, IdentityConfigError, type IdentityUnavailableError } from '../src/index.ts';
import { silentLogger } from './fixtures/captured-logger.ts';
import { startStubServer, type StubServer } from './fixtures/stub-introspection-server.ts';

let stub: StubServer;
const warnings: string[] = [];
const onWarning = (warning: Error) => warnings.push(warning.message);

beforeAll(async () => {
  stub = await startStubServer();
  process.on('warning', onWarning);
});
afterAll(async () => {
  process.off('warning', onWarning);
  await stub.close();
});
afterEach(() => {
  stub.reply(() => ({ body: { active: true } }));
});

const base = { clientId: 'c', clientSecret: 's', logger: silentLogger };
const waitForWarning = (fragment: string) =>
  expect.poll(() => warnings.find((warning) => warning.includes(fragment))).toBeDefined();

describe('configuration: env over options over defaults', () => {
  it('builds a client from IDENTITY_* env alone', async () => {
    vi.stubEnv('IDENTITY_INTROSPECTION_URL', stub.url);
    vi.stubEnv('IDENTITY_CLIENT_ID', 'env-client');
    vi.stubEnv('IDENTITY_CLIENT_SECRET', 'env-secret');
    vi.stubEnv('IDENTITY_CLIENT_AUTH', 'client_secret_post');
    await createIdentityClient({ logger: silentLogger }).introspect('t');
    const request = stub.requests.at(-1)!;
    expect(request.form.get('client_id')).toBe('env-client');
    expect(request.form.get('client_secret')).toBe('env-secret');
    expect(request.headers.authorization).toBeUndefined();
  });

  it('lets env override options', async () => {
    vi.stubEnv('IDENTITY_INTROSPECTION_URL', stub.url);
    vi.stubEnv('IDENTITY_TIMEOUT_MS', '120');
    stub.reply(() => ({ hang: true }));
    const identity = createIdentityClient({
      ...base,
      introspectionUrl: 'http://127.0.0.1:9/unused',
      timeoutMs: 60_000,
    });
    const error = (await identity.introspect('t').catch((e: unknown) => e)) as IdentityUnavailableError;
    expect(error.message).toContain('120 ms');
  });

  it('warns once about a bad env value and falls back to the option', async () => {
    vi.stubEnv('IDENTITY_TIMEOUT_MS', 'soon');
    stub.reply(() => ({ hang: true }));
    const identity = createIdentityClient({ ...base, introspectionUrl: stub.url, timeoutMs: 110 });
    createIdentityClient({ ...base, introspectionUrl: stub.url, timeoutMs: 110 });
    const error = (await identity.introspect('t').catch((e: unknown) => e)) as IdentityUnavailableError;
    expect(error.message).toContain('110 ms');
    await waitForWarning('IDENTITY_TIMEOUT_MS="soon"');
    expect(warnings.filter((w) => w.includes('IDENTITY_TIMEOUT_MS="soon"'))).toHaveLength(1);
    expect(warnings.find((w) => w.includes('IDENTITY_TIMEOUT_MS="soon"'))).toContain('using 110');
  });

  it('warns about an unknown IDENTITY_CLIENT_AUTH and keeps client_secret_basic', async () => {
    vi.stubEnv('IDENTITY_CLIENT_AUTH', 'magic');
    await createIdentityClient({ ...base, introspectionUrl: stub.url }).introspect('t');
    expect(stub.requests.at(-1)?.headers.authorization).toBe(`Basic ${Buffer.from('c:s').toString('base64')}`);
    await waitForWarning('IDENTITY_CLIENT_AUTH="magic"');
  });

  it('sends a bearer token when clientAuth is bearer', async () => {
    await createIdentityClient({
      introspectionUrl: stub.url,
      clientAuth: 'bearer',
      bearerToken: 'resource-server-token',
      logger: silentLogger,
    }).introspect('t', { tokenTypeHint: 'access_token' });
    const request = stub.requests.at(-1)!;
    expect(request.headers.authorization).toBe('Bearer resource-server-token');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.form.get('token')).toBe('t');
    expect(request.form.get('token_type_hint')).toBe('access_token');
  });

  it('turns the cache off with IDENTITY_CACHE_ENABLED=false', async () => {
    vi.stubEnv('IDENTITY_CACHE_ENABLED', 'false');
    const identity = createIdentityClient({ ...base, introspectionUrl: stub.url });
    const before = stub.requests.length;
    await identity.introspect('t');
    await identity.introspect('t');
    expect(stub.requests.length - before).toBe(2);
  });

  it('refuses to start without a URL or credentials, never echoing a credential-bearing URL', () => {
    expect(() => createIdentityClient(base)).toThrow(IdentityConfigError);
    expect(() => createIdentityClient({ introspectionUrl: stub.url, logger: silentLogger })).toThrow(/clientSecret/);
    expect(() =>
      createIdentityClient({ introspectionUrl: stub.url, clientAuth: 'bearer', logger: silentLogger }),
    ).toThrow(/bearerToken/);
    const withPassword = 'http://user:hunter2@127.0.0.1/introspect';
    expect(() => createIdentityClient({ ...base, introspectionUrl: withPassword })).toThrow(IdentityConfigError);
    try {
      createIdentityClient({ ...base, introspectionUrl: withPassword });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
      expect((error as IdentityConfigError).code).toBe('IDENTITY_CONFIG');
    }
  });

  it('reads the new-token limit and the negative-entry bound from IDENTITY_* env', async () => {
    vi.stubEnv('IDENTITY_NEW_TOKEN_RATE', '1');
    vi.stubEnv('IDENTITY_NEW_TOKEN_BURST', '2');
    vi.stubEnv('IDENTITY_CACHE_MAX_NEGATIVE_ENTRIES', '1');
    stub.reply(() => ({ body: { active: false } }));
    const identity = createIdentityClient({ ...base, introspectionUrl: stub.url, newTokenLimit: { burst: 100 } });
    const before = stub.requests.length;
    // every lookup below takes its slot synchronously, in one tick: no refill in between
    const outcomes = await Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map((token) => identity.introspect(token)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', ...Array(3).fill('rejected')]);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ reason: 'throttled' });
    expect(stub.requests.length - before).toBe(2);

    vi.stubEnv('IDENTITY_NEW_TOKEN_LIMIT_ENABLED', 'false');
    const unlimited = createIdentityClient({ ...base, introspectionUrl: stub.url });
    const calls = stub.requests.length;
    for (const token of ['a', 'b', 'a']) expect(await unlimited.introspect(token)).toEqual({ active: false });
    // one negative entry: 'b' evicted 'a', so 'a' is asked again
    expect(stub.requests.length - calls).toBe(3);
    expect(await unlimited.introspect('a')).toEqual({ active: false });
    expect(stub.requests.length - calls).toBe(3);
  });

  it('bounds new tokens in flight by IDENTITY_NEW_TOKEN_MAX_CONCURRENT over the option', async () => {
    vi.stubEnv('IDENTITY_NEW_TOKEN_MAX_CONCURRENT', '1');
    stub.reply(() => ({ body: { active: false }, delayMs: 20 }));
    const identity = createIdentityClient({
      ...base,
      introspectionUrl: stub.url,
      newTokenLimit: { maxConcurrent: 100 },
    });
    // all three ask for a slot in one tick, while the first call is still in flight
    const outcomes = await Promise.allSettled(['x', 'y', 'z'].map((token) => identity.introspect(token)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ reason: 'throttled' });
  });
});
