import type { AddressInfo } from 'node:net';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startIdentityProvider, type IdentityProvider } from '../../../test/helpers/identity-provider.ts';
import { createIdentityClient, requireAuth } from '../src/index.ts';

let telemetry: TestTelemetry;
let provider: IdentityProvider;

beforeAll(async () => {
  telemetry = setupTestTelemetry();
  provider = await startIdentityProvider();
});
afterAll(async () => {
  await provider.close();
  await telemetry.shutdown();
});
beforeEach(() => telemetry.reset());

function client(options: { cache?: false; clientAuth?: 'client_secret_post'; propagateBaggage?: boolean } = {}) {
  const credentials =
    options.clientAuth === 'client_secret_post' ? provider.introspectionPostClient : provider.introspectionClient;
  return createIdentityClient({
    introspectionUrl: provider.introspectionUrl,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    ...options,
  });
}

describe('introspection against a real oidc-provider', () => {
  it('reports a minted token active with its scope, client and issuer', async () => {
    const token = await provider.mintToken({ scope: 'orders:write' });
    const result = await client().introspect(token);
    expect(result).toMatchObject({
      active: true,
      scope: 'orders:write',
      client_id: provider.tokenClient.clientId,
      iss: provider.issuer,
      token_type: 'Bearer',
    });
    expect(result.exp).toBeGreaterThan(Date.now() / 1000);
  });

  it('reports unknown and revoked tokens inactive', async () => {
    const identity = client({ cache: false });
    expect(await identity.introspect('no-such-token-0123456789')).toEqual({ active: false });
    const token = await provider.mintToken({ scope: 'orders:read' });
    expect((await identity.introspect(token)).active).toBe(true);
    await provider.revoke(token);
    expect(await identity.introspect(token)).toEqual({ active: false });
  });

  it('authenticates with client_secret_post as well as client_secret_basic', async () => {
    const token = await provider.mintToken({ scope: 'orders:read' });
    const before = provider.received.length;
    expect((await client({ clientAuth: 'client_secret_post' }).introspect(token)).active).toBe(true);
    expect(provider.received[before]?.authorizationScheme).toBeUndefined();
    await client().introspect(token);
    expect(provider.received[before + 1]?.authorizationScheme).toBe('Basic');
  });

  it("sends a traceparent carrying the caller's trace id and the CLIENT span's id", async () => {
    const token = await provider.mintToken({ scope: 'orders:read' });
    const identity = client();
    const before = provider.received.length;
    const traceId = await trace.getTracer('test').startActiveSpan('caller', async (span) => {
      await identity.introspect(token);
      span.end();
      return span.spanContext().traceId;
    });
    const traceparent = provider.received[before]?.headers['traceparent'];
    const clientSpan = telemetry.spans().find((span) => span.kind === SpanKind.CLIENT);
    expect(traceparent).toBe(`00-${traceId}-${clientSpan?.spanContext().spanId}-01`);
    expect(clientSpan?.parentSpanContext?.traceId).toBe(traceId);
  });

  it('sends baggage to the identity service only when propagateBaggage is on', async () => {
    const token = await provider.mintToken({ scope: 'orders:read' });
    const withBaggage = propagation.setBaggage(
      context.active(),
      propagation.createBaggage({ 'user.email': { value: 'alice@example.test' } }),
    );
    const sent = async (options: { propagateBaggage?: boolean }) => {
      const before = provider.received.length;
      await context.with(withBaggage, () => client({ cache: false, ...options }).introspect(token));
      return provider.received[before]?.headers;
    };
    const byDefault = await sent({});
    expect(byDefault?.['traceparent']).toBeDefined();
    expect(byDefault?.['baggage']).toBeUndefined();
    expect((await sent({ propagateBaggage: true }))?.['baggage']).toBe('user.email=alice%40example.test');
    // IDENTITY_PROPAGATE_BAGGAGE overrides the option both ways
    vi.stubEnv('IDENTITY_PROPAGATE_BAGGAGE', 'false');
    expect((await sent({ propagateBaggage: true }))?.['baggage']).toBeUndefined();
    vi.stubEnv('IDENTITY_PROPAGATE_BAGGAGE', 'true');
    expect((await sent({}))?.['baggage']).toBe('user.email=alice%40example.test');
  });

  it('guards an Express route end to end: scopes, audience and issuer against real tokens', async () => {
    const identity = client();
    const app = express();
    const audience = 'urn:service-runtime:orders';
    app.post(
      '/orders',
      requireAuth(identity, { scopes: ['orders:write'], audience, issuer: provider.issuer }),
      (req, res) => {
        res.json({ client: req.auth?.client_id });
      },
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;
    const call = (token: string) => fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    try {
      const good = await call(await provider.mintToken({ scope: 'orders:write', resource: audience }));
      expect(good.status).toBe(200);
      expect(await good.json()).toEqual({ client: provider.tokenClient.clientId });

      const readOnly = await call(await provider.mintToken({ scope: 'orders:read', resource: audience }));
      expect(readOnly.status).toBe(403);
      expect(readOnly.headers.get('www-authenticate')).toContain('scope="orders:write"');

      const noAudience = await call(await provider.mintToken({ scope: 'orders:write' }));
      expect(noAudience.status).toBe(401);
      expect(noAudience.headers.get('www-authenticate')).toContain('error="invalid_token"');

      const revoked = await provider.mintToken({ scope: 'orders:write', resource: audience });
      await provider.revoke(revoked);
      expect((await call(revoked)).status).toBe(401);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
