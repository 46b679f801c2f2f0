import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { createLogger, withSpan } from '@service-runtime/observability';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp, HttpError, listen, type RunningServer } from '../src/index.ts';
import { waitFor } from './wait-for.ts';

let telemetry: TestTelemetry;
let server: RunningServer;

function serverSpans() {
  return telemetry.spans().filter((span) => span.kind === SpanKind.SERVER);
}

async function call(path: string, init?: RequestInit) {
  const before = serverSpans().length;
  const response = await fetch(server.url + path, init);
  const body = await response.text();
  const span = await waitFor(() => serverSpans().length > before && serverSpans().at(-1));
  return { response, body, span };
}

beforeAll(async () => {
  telemetry = setupTestTelemetry();
  const app = createApp({
    accessLog: false,
    logger: createLogger({ level: 'silent' }),
  });
  const users = express.Router();
  users.get('/:id', (req, res) => {
    res.json({ id: req.params['id'] });
  });
  users.get('/:id/fail', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    throw new Error('database password is hunter2');
  });
  const v1 = express.Router();
  v1.use('/users', users);
  const api = express.Router();
  api.use('/v1', v1);
  app.use('/api', api);
  const tenant = express.Router({ mergeParams: true });
  tenant.get('/orders/:orderId', (_req, res) => {
    res.json({ ok: true });
  });
  app.use('/tenants/:tenantId', tenant);
  const shop = express();
  shop.get('/items/:sku', (_req, res) => {
    res.json({ ok: true });
  });
  app.use('/shop', shop);
  app.get('/work', async (_req, res) => {
    await withSpan('child-work', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    res.json({ active: trace.getActiveSpan()?.spanContext().spanId });
  });
  app.get('/status/:code', (req, res) => {
    res.status(Number(req.params['code'])).json({});
  });
  app.get('/teapot', () => {
    throw new HttpError(418, 'I am a teapot');
  });
  server = await listen(app, { host: '127.0.0.1', closeOnShutdown: false });
});

afterAll(async () => {
  await server.close();
  await telemetry.shutdown();
});

beforeEach(() => telemetry.reset());

describe('server span naming', () => {
  it('names the span by the full template of routers nested at mount paths', async () => {
    const { response, span } = await call('/api/v1/users/42?secret=abc');
    expect(response.status).toBe(200);
    expect(span.name).toBe('GET /api/v1/users/:id');
    expect(span.attributes['http.route']).toBe('/api/v1/users/:id');
    expect(span.attributes['url.path']).toBe('/api/v1/users/42');
    expect(JSON.stringify(span.attributes)).not.toContain('abc');
  });

  it('keeps mount templates of parameterised mounts instead of raw values', async () => {
    const { span } = await call('/tenants/acme/orders/7');
    expect(span.name).toBe('GET /tenants/:tenantId/orders/:orderId');
  });

  it('prefixes routes of a mounted sub-app with its mount path', async () => {
    const { span } = await call('/shop/items/abc');
    expect(span.name).toBe('GET /shop/items/:sku');
  });

  it('keeps the full name when a nested handler throws and the router unwinds', async () => {
    const { response, body, span } = await call('/api/v1/users/42/fail');
    expect(response.status).toBe(500);
    expect(span.name).toBe('GET /api/v1/users/:id/fail');
    expect(body).not.toContain('hunter2');
  });

  it('uses the method alone when no route matched, never the raw URL', async () => {
    const { response, span } = await call('/no/such/thing');
    expect(response.status).toBe(404);
    expect(span.name).toBe('GET');
    expect(span.attributes['http.route']).toBeUndefined();
  });
});

describe('server span content', () => {
  it('sets the semantic-convention attributes and nothing secret', async () => {
    const { span } = await call('/api/v1/users/1?token=t0k3n', {
      headers: {
        authorization: 'Bearer s3cr3t',
        cookie: 'session=c00kie',
        'user-agent': 'probe/1.0',
      },
    });
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': server.port,
      'client.address': '127.0.0.1',
      'user_agent.original': 'probe/1.0',
      'network.protocol.version': '1.1',
    });
    const text = JSON.stringify(span.attributes);
    for (const secret of ['t0k3n', 's3cr3t', 'c00kie']) expect(text).not.toContain(secret);
  });

  it('continues the trace of an incoming traceparent', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const { span } = await call('/api/v1/users/1', {
      headers: {
        traceparent: `00-${traceId}-b7ad6b7169203331-01`,
        tracestate: 'vendor=value',
      },
    });
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(span.spanContext().traceState?.get('vendor')).toBe('value');
  });

  it('starts a new trace when traceparent or tracestate is malformed', async () => {
    for (const headers of [
      { traceparent: 'not-a-traceparent' },
      {
        traceparent: '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      },
      { traceparent: `00-${'z'.repeat(32)}-b7ad6b7169203331-01` },
      {
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        tracestate: '=,=;;bad,@@@=x,k=',
      },
    ]) {
      const { response, span } = await call('/api/v1/users/1', { headers });
      expect(response.status).toBe(200);
      expect(span.name).toBe('GET /api/v1/users/:id');
      if (headers.tracestate === undefined) expect(span.parentSpanContext).toBeUndefined();
      else expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    }
  });

  it('runs handlers inside the span: their spans and awaited work are children', async () => {
    const { body, span } = await call('/work');
    const child = telemetry.spans().find((s) => s.name === 'child-work');
    expect(child?.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
    expect(child?.spanContext().traceId).toBe(span.spanContext().traceId);
    expect(JSON.parse(body).active).toBe(span.spanContext().spanId);
  });
});

describe('span status', () => {
  it('sets ERROR with the exception and error.type for a thrown error, and answers problem+json', async () => {
    const { response, body, span } = await call('/api/v1/users/9/fail');
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = JSON.parse(body);
    expect(problem).toMatchObject({
      status: 500,
      title: 'Internal Server Error',
    });
    expect(problem.trace_id).toBe(span.spanContext().traceId);
    expect(problem.detail).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('Error');
    expect(span.events.some((event) => event.name === 'exception')).toBe(true);
    expect(serverSpans()).toHaveLength(1);
  });

  it('sets ERROR for a 5xx answered without a throw', async () => {
    const { span } = await call('/status/503');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('503');
    expect(span.attributes['http.response.status_code']).toBe(503);
  });

  it('leaves the status unset for 4xx, thrown or not', async () => {
    const answered = await call('/status/409');
    expect(answered.span.status.code).toBe(SpanStatusCode.UNSET);
    const thrown = await call('/teapot');
    expect(thrown.response.status).toBe(418);
    expect(JSON.parse(thrown.body).detail).toBe('I am a teapot');
    expect(thrown.span.status.code).toBe(SpanStatusCode.UNSET);
    expect(thrown.span.attributes['error.type']).toBeUndefined();
  });
});

describe('untraced paths', () => {
  it('does not trace /healthz, /readyz or /metrics by default', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const response = await fetch(server.url + path);
      expect(response.status).toBe(200);
    }
    await call('/api/v1/users/1');
    expect(serverSpans().map((span) => span.name)).toEqual(['GET /api/v1/users/:id']);
  });
});
