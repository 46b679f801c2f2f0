// The identity provider (the real oidc-provider fixture, behind a loopback proxy the test controls)
// down, reset, hanging or answering 500: requests through requireAuth get 503 with Retry-After; once
// the breaker opens no more calls go upstream; after resetMs one probe succeeds and requests pass
// again. With the opt-in staleIfErrorMs a recently valid token keeps working through a short outage.
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp, listen, type RunningServer } from '@service-runtime/httpkit';
import {
  createIdentityClient,
  type IdentityClient,
  type IdentityClientOptions,
  requireAuth,
} from '@service-runtime/identityclient';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, type ProxyMode, startFaultProxy } from '../fixtures/fault-proxy.ts';
import { type IdentityProvider, startIdentityProvider } from '../helpers/identity-provider.ts';

const RESOURCE = 'urn:service-runtime:orders';
const THRESHOLD = 3;
const RESET_MS = 3000;

let telemetry: TestTelemetry;
let provider: IdentityProvider;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  process.env['LOG_LEVEL'] ??= 'error';
  telemetry = setupTestTelemetry({ serviceName: 'reliability-identity' });
  provider = await startIdentityProvider();
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await provider.close();
  await telemetry.shutdown();
});

interface Gateway {
  proxy: FaultProxy;
  identity: IdentityClient;
  server: RunningServer;
  get(token: string): Promise<{ status: number; retryAfter: string | null }>;
}

/** A gateway (httpkit + requireAuth) whose identity client reaches the provider through a fault proxy. */
async function gateway(options: IdentityClientOptions): Promise<Gateway> {
  const proxy = await startFaultProxy(provider.issuer);
  closers.push(() => proxy.close());
  const identity = createIdentityClient({
    introspectionUrl: `${proxy.url}/token/introspection`,
    ...provider.introspectionClient,
    timeoutMs: 400,
    ...options,
  });
  const app = createApp({ accessLog: false });
  app.get('/guarded', requireAuth(identity, { scopes: ['orders:read'], audience: RESOURCE }), (req, res) => {
    res.json({ client: req.auth?.client_id });
  });
  const server = await listen(app, { host: '127.0.0.1', closeOnShutdown: false });
  closers.push(() => server.close());
  return {
    proxy,
    identity,
    server,
    async get(token) {
      const response = await fetch(`${server.url}/guarded`, { headers: { authorization: `Bearer ${token}` } });
      await response.arrayBuffer();
      return { status: response.status, retryAfter: response.headers.get('retry-after') };
    },
  };
}

const mint = () => provider.mintToken({ scope: 'orders:read', resource: RESOURCE });

const faults: { name: string; mode: ProxyMode }[] = [
  { name: 'down (port closed)', mode: { kind: 'refused' } },
  { name: 'resetting connections', mode: { kind: 'reset' } },
  { name: 'hanging (slower than the timeout)', mode: { kind: 'hang' } },
  { name: 'answering 500', mode: { kind: 'status', status: 500 } },
];

describe('identity provider outage behind requireAuth', { timeout: 60_000 }, () => {
  for (const fault of faults) {
    it(`${fault.name}: 503 + Retry-After, no upstream calls while the breaker is open, 200 after one probe`, async () => {
      const gw = await gateway({
        cache: false,
        retry: { attempts: 1, backoffMs: 5 },
        breaker: { failureThreshold: THRESHOLD, resetMs: RESET_MS },
      });
      const token = await mint();
      expect((await gw.get(token)).status).toBe(200);

      await gw.proxy.setMode(fault.mode);
      const beforeOpen: { status: number; retryAfter: string | null }[] = [];
      while (gw.identity.breakerState !== 'open' && beforeOpen.length < 10) beforeOpen.push(await gw.get(token));
      expect(beforeOpen).toHaveLength(THRESHOLD);
      for (const answer of beforeOpen) {
        expect(answer.status).toBe(503);
        expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      }

      // open: fail fast, the upstream sees nothing
      const callsWhenOpened = gw.proxy.requests();
      for (let i = 0; i < 10; i++) {
        const answer = await gw.get(token);
        expect(answer.status).toBe(503);
        expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(Number(answer.retryAfter)).toBeLessThanOrEqual(Math.ceil(RESET_MS / 1000));
      }
      expect(gw.proxy.requests()).toBe(callsWhenOpened);
      expect(gw.identity.breakerState).toBe('open');

      // the provider recovers; after resetMs exactly one probe goes through and closes the breaker
      await gw.proxy.setMode({ kind: 'pass' });
      let answer = await gw.get(token);
      for (let i = 0; i < 200 && answer.status !== 200; i++) {
        expect(answer.status).toBe(503);
        await sleep(50);
        answer = await gw.get(token);
      }
      expect(answer.status).toBe(200);
      expect(gw.proxy.requests()).toBe(callsWhenOpened + 1);
      expect(gw.identity.breakerState).toBe('closed');
      expect((await gw.get(token)).status).toBe(200);

      const metrics = await telemetry.prometheusText();
      expect(metrics).toMatch(/identity_breaker_transitions_total\{[^}]*identity_breaker_state="open"/);
    });
  }

  it('staleIfErrorMs: a recently valid token keeps working through a short outage; unseen tokens get 503', async () => {
    const gw = await gateway({
      cache: { maxTtlMs: 100 },
      staleIfErrorMs: 60_000,
      retry: false,
      breaker: { failureThreshold: 2, resetMs: 60_000 },
    });
    const known = await mint();
    const unseen = await mint();
    expect((await gw.get(known)).status).toBe(200);
    await sleep(250); // the cached answer is past maxTtlMs: the next lookup goes upstream

    await gw.proxy.setMode({ kind: 'refused' });
    expect((await gw.get(known)).status).toBe(200); // upstream failed: served stale
    const refused = await gw.get(unseen);
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).not.toBeNull();
    expect(gw.identity.breakerState).toBe('open');
    expect((await gw.get(known)).status).toBe(200); // breaker open: still served stale
    expect((await gw.get(unseen)).status).toBe(503);

    const stale = telemetry.spans().filter((s) => s.attributes['identity.cache'] === 'stale');
    expect(stale.length).toBeGreaterThanOrEqual(2);
    expect(await telemetry.prometheusText()).toMatch(
      /identity_cache_lookups_total\{[^}]*identity_cache="stale"[^}]*\} [2-9]/,
    );
  });

  it('staleIfErrorMs is bounded: an answer older than the stale window is not served', async () => {
    const gw = await gateway({ cache: { maxTtlMs: 50 }, staleIfErrorMs: 150, retry: false, breaker: false });
    const token = await mint();
    expect((await gw.get(token)).status).toBe(200);
    await sleep(500);
    await gw.proxy.setMode({ kind: 'status', status: 500 });
    expect((await gw.get(token)).status).toBe(503);
    await gw.proxy.setMode({ kind: 'pass' });
    expect((await gw.get(token)).status).toBe(200);
  });
});
