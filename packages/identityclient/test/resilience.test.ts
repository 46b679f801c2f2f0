import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { beforeEach, describe, expect, it } from 'vitest';
import { createIdentityClient, IdentityUnavailableError, type IdentityClientOptions } from '../src/index.ts';
import { silentLogger } from './fixtures/captured-logger.ts';
import { useStubHarness } from './fixtures/stub-harness.ts';

const { telemetry, stub } = useStubHarness();
beforeEach(() => telemetry.reset());

let counter = 0;
const token = () => `token-${counter++}`;
const client = (options: IdentityClientOptions = {}) =>
  createIdentityClient({
    introspectionUrl: stub.url,
    clientId: 'c',
    clientSecret: 's',
    logger: silentLogger,
    retry: { attempts: 2, backoffMs: 1 },
    ...options,
  });

async function requestsFor(fn: () => Promise<unknown>): Promise<number> {
  const before = stub.requests.length;
  await fn().catch(() => undefined);
  return stub.requests.length - before;
}

describe('retries', () => {
  it('retries a 5xx with backoff and succeeds, recording the resend count', async () => {
    stub.reply((_req, index) => (index % 3 === 2 ? { body: { active: true } } : { status: 503, body: 'busy' }));
    stub.requests.length = 0;
    const identity = client();
    expect((await identity.introspect(token())).active).toBe(true);
    expect(stub.requests).toHaveLength(3);
    const span = telemetry.spans().find((s) => s.kind === SpanKind.CLIENT);
    expect(span?.attributes['http.request.resend_count']).toBe(2);
    expect(span?.events.filter((event) => event.name === 'retry')).toHaveLength(2);
  });

  it('gives up after the configured retries with IdentityUnavailableError (http_status)', async () => {
    stub.reply(() => ({ status: 502, body: 'bad gateway' }));
    const identity = client();
    const t = token();
    const error = await identity.introspect(t).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityUnavailableError);
    expect(error).toMatchObject({ code: 'IDENTITY_UNAVAILABLE', reason: 'http_status', status: 502 });
    expect(await requestsFor(() => client().introspect(token()))).toBe(3);
  });

  it('retries network errors', async () => {
    stub.reply((_req, index) => (index % 2 === 0 ? { destroy: true } : { body: { active: true } }));
    stub.requests.length = 0;
    expect((await client().introspect(token())).active).toBe(true);
    expect(stub.requests).toHaveLength(2);
  });

  it('never retries a 4xx: a non-200 is an outage, not an inactive token', async () => {
    stub.reply(() => ({ status: 401, body: { error: 'invalid_client' } }));
    expect(await requestsFor(() => client().introspect(token()))).toBe(1);
    await expect(client().introspect(token())).rejects.toMatchObject({ reason: 'http_status', status: 401 });
  });

  it('times out a hanging identity service (reason timeout, not retried)', async () => {
    stub.reply(() => ({ hang: true }));
    const identity = client({ timeoutMs: 150 });
    const before = stub.requests.length;
    const error = (await identity.introspect(token()).catch((e: unknown) => e)) as IdentityUnavailableError;
    expect(error).toMatchObject({ reason: 'timeout' });
    expect((error.cause as Error).name).toBe('TimeoutError');
    expect(stub.requests.length - before).toBe(1);
  });
});

describe('malformed answers are outages', () => {
  it.each([
    ['active as the string "true"', { body: { active: 'true' } }, '"active" is not a boolean'],
    ['no active member', { body: { scope: 'a' } }, '"active" is not a boolean'],
    ['a non-JSON body', { body: 'active=true', contentType: 'text/plain' }, 'not JSON'],
    ['an HTML error page with 200', { body: '<html><body>Login</body></html>', contentType: 'text/html' }, 'not JSON'],
    ['a JSON array', { body: [{ active: true }] }, 'not a JSON object'],
    ['exp as a string', { body: { active: true, exp: '1700000000' } }, '"exp" is not a number'],
  ])('rejects %s', async (_name, reply, message) => {
    stub.reply(() => reply);
    const error = (await client()
      .introspect(token())
      .catch((e: unknown) => e)) as IdentityUnavailableError;
    expect(error).toBeInstanceOf(IdentityUnavailableError);
    expect(error.reason).toBe('malformed_response');
    expect(error.message).toContain(message);
    expect(error.message).not.toContain('Login');
    expect(Object.keys(error)).not.toContain('response');
    expect(error.response?.status).toBe(200);
  });

  it('treats an HTML 502 error page as http_status', async () => {
    stub.reply(() => ({ status: 502, body: '<html>Bad Gateway</html>', contentType: 'text/html' }));
    await expect(client({ retry: false }).introspect(token())).rejects.toMatchObject({ reason: 'http_status' });
  });
});

describe('circuit breaker', () => {
  it('opens after failureThreshold consecutive failures, fails fast, half-opens a single probe, then closes', async () => {
    let healthy = false;
    stub.reply(() => (healthy ? { body: { active: true }, delayMs: 100 } : { status: 500, body: 'down' }));
    const identity = client({ retry: false, breaker: { failureThreshold: 3, resetMs: 1500 } });
    for (let i = 0; i < 3; i++)
      await expect(identity.introspect(token())).rejects.toMatchObject({ reason: 'http_status' });
    expect(identity.breakerState).toBe('open');

    const before = stub.requests.length;
    const fast = (await identity.introspect(token()).catch((e: unknown) => e)) as IdentityUnavailableError;
    expect(fast).toMatchObject({ code: 'IDENTITY_UNAVAILABLE', reason: 'breaker_open' });
    expect(fast.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(stub.requests.length).toBe(before);
    const failFastSpan = telemetry.spans().at(-1);
    expect(failFastSpan?.status.code).toBe(SpanStatusCode.ERROR);
    expect(failFastSpan?.attributes['error.type']).toBe('breaker_open');

    healthy = true;
    await expect
      .poll(
        async () => {
          const probe = identity.introspect(token());
          const second = identity.introspect(token()).catch((e: unknown) => e);
          const state = identity.breakerState;
          await probe.catch(() => undefined);
          return { state, second: ((await second) as IdentityUnavailableError).reason };
        },
        { timeout: 10_000, interval: 100 },
      )
      .toEqual({ state: 'half_open', second: 'breaker_open' });
    expect(identity.breakerState).toBe('closed');
    expect((await identity.introspect(token())).active).toBe(true);
  });

  it('re-opens when the half-open probe fails', async () => {
    stub.reply(() => ({ status: 503, body: 'down' }));
    const identity = client({ retry: false, breaker: { failureThreshold: 1, resetMs: 200 } });
    await expect(identity.introspect(token())).rejects.toMatchObject({ reason: 'http_status' });
    expect(identity.breakerState).toBe('open');
    await expect
      .poll(
        async () => ((await identity.introspect(token()).catch((e: unknown) => e)) as IdentityUnavailableError).reason,
        {
          timeout: 10_000,
          interval: 50,
        },
      )
      .toBe('http_status');
    expect(identity.breakerState).toBe('open');
  });

  it('exports the breaker state gauge and transitions counter', async () => {
    stub.reply(() => ({ status: 500, body: 'down' }));
    const identity = client({ retry: false, breaker: { failureThreshold: 1, resetMs: 60_000 } });
    await identity.introspect(token()).catch(() => undefined);
    const text = await telemetry.prometheusText();
    const port = new URL(stub.url).port;
    expect(text).toMatch(new RegExp(`identity_breaker_state\\{[^}]*server_port="${port}"[^}]*\\} 1`));
    expect(text).toMatch(/identity_breaker_transitions_total\{[^}]*identity_breaker_state="open"/);
    expect(text).toMatch(/identity_introspection_duration_count\{[^}]*error_type="500"/);
  });
});

describe('stale-if-error (opt-in)', () => {
  it('keeps serving a recently expired positive answer while identity is down, and only then', async () => {
    stub.reply(() => ({ body: { active: true, scope: 'a', exp: Math.floor(Date.now() / 1000) + 3600 } }));
    const staleOk = client({ cache: { maxTtlMs: 50 }, staleIfErrorMs: 60_000, retry: false });
    const strict = client({ cache: { maxTtlMs: 50 }, retry: false });
    const t = token();
    await staleOk.introspect(t);
    await strict.introspect(t);
    stub.reply(() => ({ status: 503, body: 'down' }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await staleOk.introspect(t)).toMatchObject({ active: true, scope: 'a' });
    expect(telemetry.spans().at(-1)?.attributes['identity.cache']).toBe('stale');
    await expect(strict.introspect(t)).rejects.toBeInstanceOf(IdentityUnavailableError);
    await expect(staleOk.introspect(token())).rejects.toBeInstanceOf(IdentityUnavailableError);
  });
});
