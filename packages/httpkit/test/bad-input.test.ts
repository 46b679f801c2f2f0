import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { createLogger } from '@service-runtime/observability';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp, listen, type ProblemDetails, type RunningServer } from '../src/index.ts';
import { openSocket, rawRequest } from './raw-http.ts';
import { waitFor } from './wait-for.ts';

let telemetry: TestTelemetry;
let server: RunningServer;
let handlerStarted: () => void = () => undefined;
let releaseHandler: () => void = () => undefined;

const silent = createLogger({ level: 'silent' });

function serverSpans() {
  return telemetry.spans().filter((span) => span.kind === SpanKind.SERVER);
}

async function expectAlive(): Promise<void> {
  const response = await fetch(`${server.url}/healthz`);
  expect(response.status).toBe(200);
}

beforeAll(async () => {
  telemetry = setupTestTelemetry();
  const app = createApp({ bodyLimit: '1kb', logger: silent });
  app.post('/echo', (req, res) => {
    res.json({ received: req.body });
  });
  app.get('/slow', async (_req, res) => {
    const released = new Promise<void>((resolve) => {
      releaseHandler = resolve;
    });
    handlerStarted();
    await released;
    res.json({ late: true });
  });
  server = await listen(app, {
    host: '127.0.0.1',
    maxHeaderSize: 8192,
    closeOnShutdown: false,
  });
});

afterAll(async () => {
  await server.close();
  await telemetry.shutdown();
});

beforeEach(() => telemetry.reset());

describe('bad input', () => {
  it('answers invalid JSON with 400 problem+json, not 500, and one span with status unset', async () => {
    const response = await fetch(`${server.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a": 1,,}',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as ProblemDetails;
    expect(problem).toMatchObject({
      status: 400,
      detail: 'The request body is not valid JSON.',
    });
    const [span] = await waitFor(() => serverSpans().length === 1 && serverSpans());
    expect(span!.attributes['http.response.status_code']).toBe(400);
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(problem.trace_id).toBe(span!.spanContext().traceId);
  });

  it('answers a body over the limit with 413', async () => {
    const response = await fetch(`${server.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: 'x'.repeat(4096) }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as ProblemDetails).status).toBe(413);
    const spans = await waitFor(() => serverSpans().length === 1 && serverSpans());
    expect(spans[0]!.attributes['http.response.status_code']).toBe(413);
    await expectAlive();
  });

  it('reads the body limit from HTTPKIT_BODY_LIMIT', async () => {
    vi.stubEnv('HTTPKIT_BODY_LIMIT', '16b');
    const app = createApp({ logger: silent });
    app.post('/echo', (req, res) => {
      res.json(req.body);
    });
    await using small = await listen(app, {
      host: '127.0.0.1',
      closeOnShutdown: false,
    });
    const post = (body: string) =>
      fetch(`${small.url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    expect((await post('{"a":1}')).status).toBe(200);
    expect((await post(JSON.stringify({ a: 'x'.repeat(64) }))).status).toBe(413);
  });

  it('answers an unknown route with 404 problem+json', async () => {
    const response = await fetch(`${server.url}/does/not/exist`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(((await response.json()) as ProblemDetails).title).toBe('Not Found');
    const spans = await waitFor(() => serverSpans().length === 1 && serverSpans());
    expect(spans[0]!.name).toBe('GET');
  });

  it('refuses oversized headers with 431 and records one span for it', async () => {
    const reply = await rawRequest(
      server.port,
      `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(16_000)}\r\n\r\n`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 431 /);
    expect(reply).toContain('application/problem+json');
    const spans = await waitFor(() => serverSpans().length === 1 && serverSpans());
    expect(spans[0]!.name).toBe('HTTP');
    expect(spans[0]!.attributes['http.response.status_code']).toBe(431);
    expect(spans[0]!.attributes['error.type']).toBe('HPE_HEADER_OVERFLOW');
    await expectAlive();
  });

  it('survives a client that aborts while sending the body: one span, marked aborted', async () => {
    const arrived = new Promise((resolve) => server.server.once('request', resolve));
    const socket = await openSocket(server.port);
    socket.on('error', () => undefined);
    socket.write(
      'POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"partial":',
    );
    await arrived;
    await new Promise((resolve) => setTimeout(resolve, 20));
    socket.destroy();
    const spans = await waitFor(() => serverSpans().length === 1 && serverSpans());
    expect(spans[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(spans[0]!.attributes['error.type']).toBe('aborted');
    await expectAlive();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(serverSpans()).toHaveLength(1);
  });

  it('survives a client that goes away while the handler works: one span, marked aborted', async () => {
    const started = new Promise<void>((resolve) => {
      handlerStarted = resolve;
    });
    const socket = await openSocket(server.port);
    socket.on('error', () => undefined);
    socket.write('GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await started;
    socket.destroy();
    const spans = await waitFor(() => serverSpans().length === 1 && serverSpans());
    expect(spans[0]!.name).toBe('GET /slow');
    expect(spans[0]!.attributes['error.type']).toBe('aborted');
    expect(spans[0]!.attributes['http.response.status_code']).toBeUndefined();
    releaseHandler();
    await expectAlive();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(serverSpans()).toHaveLength(1);
  });
});
