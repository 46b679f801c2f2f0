import { Writable } from 'node:stream';
import { SpanKind } from '@opentelemetry/api';
import { createLogger } from '@service-runtime/observability';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { addReadinessCheck, createApp, listen } from '../src/index.ts';
import { waitFor } from './wait-for.ts';

let telemetry: TestTelemetry;
const lines: Record<string, unknown>[] = [];
const destination = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
    callback();
  },
});
const logger = createLogger({ destination });

beforeAll(() => {
  telemetry = setupTestTelemetry();
});
afterAll(() => telemetry.shutdown());
beforeEach(() => {
  telemetry.reset();
  lines.length = 0;
});

describe('access log', () => {
  it('writes one line per request with method, route, status, duration_ms and trace_id', async () => {
    const app = createApp({ logger });
    app.get('/items/:id', (_req, res) => {
      res.json({ ok: true });
    });
    await using server = await listen(app, {
      host: '127.0.0.1',
      closeOnShutdown: false,
    });
    const response = await fetch(`${server.url}/items/3?q=private`, {
      headers: { 'x-request-id': 'req-123' },
    });
    expect(response.headers.get('x-request-id')).toBe('req-123');
    const span = await waitFor(() => telemetry.spans().find((s) => s.kind === SpanKind.SERVER));
    const access = await waitFor(() => lines.filter((line) => line['msg'] === 'request completed'));
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      method: 'GET',
      route: '/items/:id',
      path: '/items/3',
      status: 200,
      trace_id: span.spanContext().traceId,
      request_id: 'req-123',
    });
    expect(typeof access[0]!['duration_ms']).toBe('number');
    expect(access[0]).not.toHaveProperty('aborted');
    expect(JSON.stringify(access[0])).not.toContain('private');
  });

  it('writes no access line for untraced health probes', async () => {
    const app = createApp({ logger });
    await using server = await listen(app, {
      host: '127.0.0.1',
      closeOnShutdown: false,
    });
    await (await fetch(`${server.url}/healthz`)).text();
    await (await fetch(`${server.url}/nope`)).text();
    const access = await waitFor(() => lines.filter((line) => line['msg'] === 'request completed'));
    expect(access.map((line) => line['path'])).toEqual(['/nope']);
  });

  it('traces health paths too when HTTPKIT_UNTRACED_PATHS says so', async () => {
    vi.stubEnv('HTTPKIT_UNTRACED_PATHS', '/metrics');
    const app = createApp({ logger });
    await using server = await listen(app, {
      host: '127.0.0.1',
      closeOnShutdown: false,
    });
    await (await fetch(`${server.url}/healthz`)).text();
    const span = await waitFor(() => telemetry.spans().find((s) => s.kind === SpanKind.SERVER));
    expect(span.name).toBe('GET /healthz');
  });
});

describe('/metrics', () => {
  it('serves the http.server.request.duration histogram by method, route and status', async () => {
    const app = createApp({ logger });
    app.get('/things/:id', (_req, res) => {
      res.json({});
    });
    await using server = await listen(app, {
      host: '127.0.0.1',
      closeOnShutdown: false,
    });
    await (await fetch(`${server.url}/things/1`)).text();
    await (await fetch(`${server.url}/things/2`)).text();
    await waitFor(() => telemetry.spans().length >= 2);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const count = text
      .split('\n')
      .find((line) => line.startsWith('http_server_request_duration_count') && line.includes('/things/:id'));
    expect(count).toBeDefined();
    expect(count).toContain('http_request_method="GET"');
    expect(count).toContain('http_response_status_code="200"');
    expect(count?.trim().endsWith(' 2')).toBe(true);
    expect(text).toContain('http_server_request_duration_bucket{');
  });
});

describe('readiness and graceful close', () => {
  it('reports registered readiness checks', async () => {
    const app = createApp({ logger, readinessTimeoutMs: 200 });
    let healthy = true;
    addReadinessCheck(app, 'database', () => {
      if (!healthy) throw new Error('down');
    });
    addReadinessCheck(app, 'slow', () => new Promise((resolve) => setTimeout(resolve, 5)));
    await using server = await listen(app, {
      host: '127.0.0.1',
      closeOnShutdown: false,
    });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', slow: 'ok' },
    });
    healthy = false;
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as { checks: Record<string, string> }).checks['database']).toBe('failed');
  });

  it('finishes an in-flight request, answers readiness 503 while draining, then refuses connections', async () => {
    const app = createApp({ logger });
    let release: () => void = () => undefined;
    let started: () => void = () => undefined;
    const handlerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    app.get('/slow', async (_req, res) => {
      started();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      res.json({ finished: true });
    });
    const server = await listen(app, {
      host: '127.0.0.1',
      closeOnShutdown: false,
      shutdownTimeoutMs: 10_000,
    });
    // A keep-alive connection that stays idle during the close must not hold it up.
    await (await fetch(`${server.url}/healthz`)).text();
    const inFlight = fetch(`${server.url}/slow`);
    await handlerStarted;
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    const response = await inFlightRelease(inFlight, () => release());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ finished: true });
    await closing;
    expect(closed).toBe(true);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    const span = await waitFor(() => telemetry.spans().find((s) => s.name === 'GET /slow'));
    expect(span.attributes['http.response.status_code']).toBe(200);
  });

  it('answers /readyz with 503 as soon as draining starts', async () => {
    const app = createApp({ logger });
    const server = await listen(app, {
      host: '127.0.0.1',
      closeOnShutdown: false,
      drainDelayMs: 2000,
    });
    const closing = server.close();
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'draining' });
    await closing;
  });

  it('cuts requests that outlive the shutdown timeout', async () => {
    const app = createApp({ logger });
    let started: () => void = () => undefined;
    const handlerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    app.get('/forever', () => {
      started();
      return new Promise(() => undefined);
    });
    const server = await listen(app, {
      host: '127.0.0.1',
      closeOnShutdown: false,
      shutdownTimeoutMs: 100,
    });
    const hanging = fetch(`${server.url}/forever`).then(
      () => 'answered',
      () => 'cut',
    );
    await handlerStarted;
    await server.close();
    expect(await hanging).toBe('cut');
    const span = await waitFor(() => telemetry.spans().find((s) => s.name === 'GET /forever'));
    expect(span.attributes['error.type']).toBe('aborted');
    const access = await waitFor(() => lines.find((line) => line['msg'] === 'request completed'));
    expect(access).toMatchObject({ level: 'warn', route: '/forever', aborted: true });
  });
});

async function inFlightRelease(inFlight: Promise<Response>, release: () => void): Promise<Response> {
  release();
  return inFlight;
}
