import { SpanKind, trace } from '@opentelemetry/api';
import { createLogger } from '@service-runtime/observability';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import type { NextFunction, Request, Response } from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp, listen, type RunningServer } from '../src/index.ts';
import { waitFor } from './wait-for.ts';

let telemetry: TestTelemetry;
let server: RunningServer;
const seenErrors: { type: unknown; traceId: string | undefined }[] = [];
const silent = createLogger({ level: 'silent' });

function serverSpans() {
  return telemetry.spans().filter((span) => span.kind === SpanKind.SERVER);
}

beforeAll(async () => {
  telemetry = setupTestTelemetry();
  const app = createApp({ logger: silent });
  app.post('/echo', (req, res) => {
    res.json({ received: req.body });
  });
  app.get('/throws', () => {
    throw new Error('handler failed');
  });
  // An app of its own mounted inside: its chain sees the request is traced already.
  const inner = createApp({ logger: silent });
  inner.get('/items/:sku', (req, res) => {
    res.json({ sku: req.params['sku'], requestId: res.locals['requestId'] });
  });
  app.use('/shop', inner);
  // The service's own error handler, ahead of the one listen mounts.
  app.use((error: { type?: unknown }, _req: Request, res: Response, next: NextFunction) => {
    seenErrors.push({ type: error.type, traceId: trace.getActiveSpan()?.spanContext().traceId });
    if (error.type === 'entity.parse.failed') res.status(422).json({ own: true });
    else next(error);
  });
  server = await listen(app, { host: '127.0.0.1', closeOnShutdown: false });
});

afterAll(async () => {
  await server.close();
  await telemetry.shutdown();
});

beforeEach(() => {
  telemetry.reset();
  seenErrors.length = 0;
});

const postJson = (body: string) =>
  fetch(`${server.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('the default chain ahead of the router', () => {
  it("hands a body the parser refuses to the app's own error handler, once, in the server span's context", async () => {
    const response = await postJson('{"a": 1,,}');
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ own: true });
    const [span] = await waitFor(() => serverSpans().length === 1 && serverSpans());
    expect(seenErrors).toEqual([{ type: 'entity.parse.failed', traceId: span!.spanContext().traceId }]);
    expect(span!.attributes['http.response.status_code']).toBe(422);
  });

  it('routes the next request normally after an error was handed on', async () => {
    expect((await postJson('{')).status).toBe(422);
    const response = await postJson('{"a":1}');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: { a: 1 } });
    const unknown = await fetch(`${server.url}/no/such/route`);
    expect(unknown.status).toBe(404);
    expect(seenErrors).toHaveLength(1);
  });

  it('still passes handler errors through the error handlers to the 500 answer', async () => {
    const response = await fetch(`${server.url}/throws`);
    expect(response.status).toBe(500);
    expect(seenErrors).toEqual([{ type: undefined, traceId: expect.any(String) }]);
  });

  it('serves a mounted createApp app under one server span with one request id', async () => {
    const response = await fetch(`${server.url}/shop/items/abc`, { headers: { 'x-request-id': 'req-1' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sku: 'abc', requestId: 'req-1' });
    expect(response.headers.get('x-request-id')).toBe('req-1');
    const spans = await waitFor(() => serverSpans().length === 1 && serverSpans());
    expect(spans[0]!.name).toBe('GET /shop/items/:sku');
  });
});
