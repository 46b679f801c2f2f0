import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import type { RequestHandler } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityClient, requireAuth } from '../src/index.ts';
import { startGuardedApp } from './fixtures/guarded-app.ts';
import { silentLogger } from './fixtures/captured-logger.ts';
import { startStubServer, type StubServer } from './fixtures/stub-introspection-server.ts';

let telemetry: TestTelemetry;
let stub: StubServer;
let app: Awaited<ReturnType<typeof startGuardedApp>>;
const mutationErrors: unknown[] = [];

const nowSec = () => Math.floor(Date.now() / 1000);
const ISSUER = 'https://id.example.test';

beforeAll(async () => {
  telemetry = setupTestTelemetry();
  stub = await startStubServer();
  const identity = createIdentityClient({
    introspectionUrl: stub.url,
    clientId: 'gateway',
    clientSecret: 's3cret',
    logger: silentLogger,
    retry: false,
    breaker: false,
  });
  app = await startGuardedApp({
    '/orders': requireAuth(identity, { scopes: ['orders:read'], audience: 'orders', issuer: ISSUER, realm: 'orders' }),
    '/admin': requireAuth(identity, { scopes: ['orders:admin'], realm: 'orders' }),
    '/mutating': mutatingHandler(requireAuth(identity, { realm: 'orders' })),
  });
});
afterAll(async () => {
  await app.close();
  await stub.close();
  await telemetry.shutdown();
});
afterEach(() => stub.reply(() => ({ body: { active: true } })));

function valid(extra: Record<string, unknown> = {}) {
  return {
    active: true,
    scope: 'orders:read orders:write',
    aud: ['orders'],
    iss: ISSUER,
    exp: nowSec() + 300,
    ...extra,
  };
}

/** Runs `guard`, then does what a careless handler would: changes the nested claims it was given. */
function mutatingHandler(guard: RequestHandler): RequestHandler {
  return (req, res, next) =>
    guard(req, res, (error?: unknown) => {
      try {
        const ext = req.auth?.['ext'] as { roles: string[]; tenant: { id: string } };
        ext.roles.push('admin');
        ext.tenant.id = 'other-tenant';
      } catch (mutation) {
        mutationErrors.push(mutation);
      }
      next(error);
    });
}

async function call(authorization?: string, path = '/orders') {
  const response = await fetch(app.url + path, { headers: authorization === undefined ? {} : { authorization } });
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, headers: response.headers, body };
}

let counter = 0;
const freshToken = () => `tok-${Date.now()}-${counter++}`;

describe('requireAuth (RFC 6750 answers)', () => {
  it('admits an active token meeting every requirement and sets req.auth', async () => {
    stub.reply(() => ({ body: valid({ client_id: 'orders-client' }) }));
    const { status, body } = await call(`Bearer ${freshToken()}`);
    expect(status).toBe(200);
    expect(body['auth']).toMatchObject({ active: true, client_id: 'orders-client' });
  });

  it('answers 401 with only the realm when there are no credentials, or credentials of another scheme', async () => {
    for (const header of [undefined, 'Basic Z2F0ZXdheTpzM2NyZXQ=']) {
      const { status, headers, body } = await call(header);
      expect(status).toBe(401);
      expect(headers.get('www-authenticate')).toBe('Bearer realm="orders"');
      expect(headers.get('content-type')).toBe('application/problem+json');
      expect(body).toMatchObject({ status: 401, title: 'Unauthorized' });
      expect(body['trace_id']).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it('answers 400 invalid_request for a malformed Authorization header, without calling upstream', async () => {
    const before = stub.requests.length;
    for (const header of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer tok{en}']) {
      const { status, headers, body } = await call(header);
      expect(status).toBe(400);
      expect(headers.get('www-authenticate')).toMatch(/^Bearer realm="orders", error="invalid_request"/);
      expect(body).toMatchObject({ status: 400, error: 'invalid_request' });
    }
    expect(stub.requests.length).toBe(before);
  });

  it('answers 401 invalid_token for a token longer than 4 KiB, without calling upstream', async () => {
    const before = stub.requests.length;
    const { status, headers } = await call(`Bearer ${'a'.repeat(4097)}`);
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(stub.requests.length).toBe(before);
  });

  it.each([
    ['inactive', { active: false }],
    ['expired', valid({ exp: nowSec() - 10 })],
    ['not yet valid', valid({ nbf: nowSec() + 600 })],
    ['another audience', valid({ aud: 'billing' })],
    ['no audience', valid({ aud: undefined })],
    ['another issuer', valid({ iss: 'https://evil.example.test' })],
  ])('answers 401 invalid_token for a %s token', async (_name, answer) => {
    stub.reply(() => ({ body: answer }));
    const { status, headers, body } = await call(`Bearer ${freshToken()}`);
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toMatch(
      /^Bearer realm="orders", error="invalid_token", error_description="/,
    );
    expect(body).toMatchObject({ status: 401, error: 'invalid_token' });
    expect(body['trace_id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('answers 403 insufficient_scope naming the required scope', async () => {
    stub.reply(() => ({ body: valid({ scope: 'orders:write' }) }));
    const { status, headers, body } = await call(`Bearer ${freshToken()}`);
    expect(status).toBe(403);
    expect(headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*scope="orders:read"/);
    expect(body).toMatchObject({ status: 403, error: 'insufficient_scope' });
  });

  it.each([
    ['a 500', { status: 500, body: 'oops', contentType: 'text/plain' }],
    ['a 401 for our own credentials', { status: 401, body: { error: 'invalid_client' } }],
    ['a malformed answer', { body: { active: 'true' } }],
  ])('answers 503 with Retry-After, never 401, when identity gives %s', async (_name, reply) => {
    stub.reply(() => reply);
    const { status, headers, body } = await call(`Bearer ${freshToken()}`);
    expect(status).toBe(503);
    expect(Number(headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(headers.get('www-authenticate')).toBeNull();
    expect(body).toMatchObject({ status: 503, title: 'Service Unavailable' });
    expect(body['trace_id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('hands out deep-frozen answers: a handler changing req.auth.ext.roles does not change the next request', async () => {
    const token = freshToken();
    stub.reply(() => ({ body: valid({ ext: { roles: ['reader'], tenant: { id: 't1' } } }) }));
    const requests = stub.requests.length;
    for (let i = 0; i < 3; i++) {
      const { status, body } = await call(`Bearer ${token}`, '/mutating');
      expect(status).toBe(200);
      expect(body['auth']).toMatchObject({ ext: { roles: ['reader'], tenant: { id: 't1' } } });
    }
    expect(stub.requests.length).toBe(requests + 1);
    expect(mutationErrors).toHaveLength(3);
    expect(mutationErrors.every((error) => error instanceof TypeError)).toBe(true);
  });

  it('stops admitting a token at its exp, even though the answer was cached', async () => {
    const token = freshToken();
    const answer = valid({ exp: nowSec() + 2 });
    stub.reply(() => ({ body: answer }));
    expect((await call(`Bearer ${token}`)).status).toBe(200);
    await expect.poll(async () => (await call(`Bearer ${token}`)).status, { timeout: 10_000, interval: 200 }).toBe(401);
  });

  it('re-checks nbf on every cache hit: refused before nbf, admitted after it with no new upstream call', async () => {
    const token = freshToken();
    stub.reply(() => ({ body: valid({ nbf: nowSec() + 2 }) }));
    expect((await call(`Bearer ${token}`)).status).toBe(401);
    const requests = stub.requests.length;
    await expect.poll(async () => (await call(`Bearer ${token}`)).status, { timeout: 10_000, interval: 200 }).toBe(200);
    expect(stub.requests.length).toBe(requests);
  });

  it('re-checks scopes on a cache hit: a token cached by one route is still refused by a stricter one', async () => {
    const token = freshToken();
    stub.reply(() => ({ body: valid() }));
    expect((await call(`Bearer ${token}`, '/orders')).status).toBe(200);
    const requests = stub.requests.length;
    const admin = await call(`Bearer ${token}`, '/admin');
    expect(admin.status).toBe(403);
    expect(admin.headers.get('www-authenticate')).toContain('scope="orders:admin"');
    expect(stub.requests.length).toBe(requests);
  });
});

describe('requireAuth past the new-token limit', () => {
  it('answers an unknown token 503 with Retry-After (never 401) while a cached token is still served', async () => {
    stub.reply(() => ({ body: valid() }));
    const identity = createIdentityClient({
      introspectionUrl: stub.url,
      clientId: 'gateway',
      clientSecret: 's3cret',
      logger: silentLogger,
      newTokenLimit: { ratePerSecond: 1, burst: 1, maxConcurrent: 1 },
    });
    await using limited = await startGuardedApp({ '/orders': requireAuth(identity, { realm: 'orders' }) });
    const get = (token: string) => fetch(`${limited.url}/orders`, { headers: { authorization: `Bearer ${token}` } });
    const known = freshToken();
    expect((await get(known)).status).toBe(200);
    const requests = stub.requests.length;
    // ten unknown tokens at once against 1 call/s: the bucket cannot admit them all
    const unknown = await Promise.all(Array.from({ length: 10 }, () => get(freshToken())));
    const refused = unknown.filter((response) => response.status !== 200);
    expect(refused.length).toBeGreaterThan(0);
    for (const response of refused) {
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(response.headers.get('www-authenticate')).toBeNull();
    }
    expect((await get(known)).status).toBe(200);
    expect(stub.requests.length - requests).toBe(unknown.length - refused.length);
  });
});
