// HTTP server spans and metrics to the letter of the HTTP semantic conventions, over real sockets:
// the known-methods list and `_OTHER`, the attributes a sampler sees at span start, `url.scheme` on
// the duration metric, and `url.path` of an absolute-form request target.
import { Writable } from 'node:stream';
import { type Attributes, SpanKind } from '@opentelemetry/api';
import { createLogger } from '@service-runtime/observability';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import { AlwaysOnSampler, type Sampler } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp, listen, type RunningServer } from '../src/index.ts';
import { rawRequest } from './raw-http.ts';
import { waitFor } from './wait-for.ts';

let telemetry: TestTelemetry;
const samplerSaw: Attributes[] = [];
const logLines: Record<string, unknown>[] = [];

const recordingSampler: Sampler = {
  shouldSample(_context, _traceId, _name, kind, attributes) {
    if (kind === SpanKind.SERVER) samplerSaw.push({ ...attributes });
    return new AlwaysOnSampler().shouldSample();
  },
  toString: () => 'recording',
};

async function startService(): Promise<RunningServer> {
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line));
      done();
    },
  });
  const app = createApp({ logger: createLogger({ destination }) });
  app.all('/cache/:key', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/api/users/:id', (_req, res) => {
    res.json({ ok: true });
  });
  return listen(app, { host: '127.0.0.1', closeOnShutdown: false });
}

function serverSpans() {
  return telemetry.spans().filter((span) => span.kind === SpanKind.SERVER);
}

async function call(server: RunningServer, path: string, method = 'GET') {
  const before = serverSpans().length;
  const response = await fetch(server.url + path, { method });
  await response.text();
  const span = await waitFor(() => serverSpans().length > before && serverSpans().at(-1));
  return { response, span };
}

beforeAll(() => {
  telemetry = setupTestTelemetry({ sampler: recordingSampler });
});
afterAll(async () => {
  await telemetry.shutdown();
});
beforeEach(() => {
  telemetry.reset();
  samplerSaw.length = 0;
  logLines.length = 0;
});

describe('HTTP server semantic conventions', () => {
  it('records an unknown method as _OTHER with the original, names the span HTTP, and keeps metric series bounded', async () => {
    await using server = await startService();
    const purge = await call(server, '/cache/k1', 'PURGE');
    const propfind = await call(server, '/nowhere', 'PROPFIND');
    expect(purge.response.status).toBe(200);
    expect(purge.span.name).toBe('HTTP /cache/:key');
    expect(purge.span.attributes).toMatchObject({
      'http.request.method': '_OTHER',
      'http.request.method_original': 'PURGE',
    });
    expect(propfind.span.name).toBe('HTTP');
    expect(propfind.span.attributes['http.request.method_original']).toBe('PROPFIND');
    const known = await call(server, '/cache/k2', 'DELETE');
    expect(known.span.name).toBe('DELETE /cache/:key');
    expect(known.span.attributes['http.request.method_original']).toBeUndefined();

    const text = await telemetry.prometheusText();
    const series = text.split('\n').filter((line) => line.startsWith('http_server_request_duration_count'));
    expect(series.some((l) => l.includes('http_request_method="_OTHER"') && l.includes('/cache/:key'))).toBe(true);
    expect(text).not.toContain('PURGE');
    expect(text).not.toContain('PROPFIND');
    // url.scheme is Required on the duration metric
    expect(series.length).toBeGreaterThan(0);
    for (const line of series) expect(line).toContain('url_scheme="http"');
  });

  it('takes the known methods from OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS as a full replacement', async () => {
    vi.stubEnv('OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS', 'GET,PURGE');
    await using server = await startService();
    const purge = await call(server, '/cache/k1', 'PURGE');
    const del = await call(server, '/cache/k1', 'DELETE');
    expect(purge.span.name).toBe('PURGE /cache/:key');
    expect(purge.span.attributes['http.request.method']).toBe('PURGE');
    expect(del.span.name).toBe('HTTP /cache/:key');
    expect(del.span.attributes).toMatchObject({
      'http.request.method': '_OTHER',
      'http.request.method_original': 'DELETE',
    });
  });

  it('gives the sampler method, url.path, url.scheme, server.address and server.port at span start', async () => {
    await using server = await startService();
    await call(server, '/api/users/7?token=secret');
    expect(samplerSaw).toEqual([
      {
        'http.request.method': 'GET',
        'url.path': '/api/users/7',
        'url.scheme': 'http',
        'server.address': '127.0.0.1',
        'server.port': server.port,
      },
    ]);
  });

  it('takes server.port from the Host header, the scheme default when it names none (not the socket port)', async () => {
    await using server = await startService();
    const answer = await rawRequest(
      server.port,
      `GET /api/users/7 HTTP/1.1\r\nHost: api.example.test\r\nConnection: close\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    const span = await waitFor(() => serverSpans().at(-1));
    expect(span.attributes).toMatchObject({ 'server.address': 'api.example.test', 'server.port': 80 });
    expect(samplerSaw.at(-1)).toMatchObject({ 'server.address': 'api.example.test', 'server.port': 80 });
  });

  it('reduces an absolute-form request target to its path (no userinfo, host, query or fragment) and takes server.address from its host', async () => {
    await using server = await startService();
    const answer = await rawRequest(
      server.port,
      'GET http://alice:SECRET@example.com/api/users/abs?key=QUERYSECRET#frag HTTP/1.1\r\n' +
        `Host: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    const span = await waitFor(() => serverSpans().at(-1));
    expect(span.name).toBe('GET /api/users/:id');
    expect(span.attributes['url.path']).toBe('/api/users/abs');
    // The conventions: server.address and server.port come from an absolute-form target's host.
    expect(samplerSaw.at(-1)).toMatchObject({
      'url.path': '/api/users/abs',
      'server.address': 'example.com',
      'server.port': 80,
    });
    expect(span.attributes).toMatchObject({ 'server.address': 'example.com', 'server.port': 80 });
    const access = await waitFor(() => logLines.find((l) => l['msg'] === 'request completed'));
    expect(access['path']).toBe('/api/users/abs');
    const recorded = JSON.stringify([span.attributes, span.name, logLines]);
    for (const secret of ['alice', 'SECRET', 'QUERYSECRET', 'frag']) {
      expect(recorded).not.toContain(secret);
    }
  });
});
