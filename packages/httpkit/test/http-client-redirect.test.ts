// The traced fetch follows redirects itself over real sockets: a trusted host (127.0.0.1) redirecting
// to an untrusted one on another loopback address (127.0.0.2) must not hand it trace context, baggage
// or credentials; trust is decided again for every hop.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Attributes, context, propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AlwaysOnSampler, type Sampler } from '@opentelemetry/sdk-trace';
import { withSpan } from '@service-runtime/observability';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../src/index.ts';

interface Received {
  host: string;
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let telemetry: TestTelemetry;
const samplerSaw: Attributes[] = [];
const recordingSampler: Sampler = {
  shouldSample(_context, _traceId, _name, kind, attributes) {
    if (kind === SpanKind.CLIENT) samplerSaw.push({ ...attributes });
    return new AlwaysOnSampler().shouldSample();
  },
  toString: () => 'recording',
};
const received: Received[] = [];
let trusted: Server;
let untrusted: Server;
let trustedUrl: string;
let untrustedUrl: string;

/** Answers `/redirect?status=302&to=<url>` with that redirect, `/loop` with a redirect to itself, else 200. */
function service(name: string): Server {
  return createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    received.push({ host: name, path: req.url ?? '', method: req.method ?? '', headers: req.headers, body });
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/redirect') {
      res.writeHead(Number(url.searchParams.get('status')), { location: url.searchParams.get('to') ?? '/' }).end();
    } else if (url.pathname === '/loop') {
      res.writeHead(302, { location: '/loop' }).end();
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name} ${req.method} ${body}`);
    }
  });
}

async function start(server: Server, host: string): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

const redirect = (status: number, to: string) => `/redirect?status=${status}&to=${encodeURIComponent(to)}`;

beforeAll(async () => {
  telemetry = setupTestTelemetry({ sampler: recordingSampler });
  trusted = service('trusted');
  untrusted = service('untrusted');
  trustedUrl = await start(trusted, '127.0.0.1');
  untrustedUrl = await start(untrusted, '127.0.0.2');
});

afterAll(async () => {
  for (const server of [trusted, untrusted]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await telemetry.shutdown();
});

beforeEach(() => {
  telemetry.reset();
  received.length = 0;
  samplerSaw.length = 0;
});

const clientSpans = () => telemetry.spans().filter((span) => span.kind === SpanKind.CLIENT);
const fetchTraced = () => createHttpClient({ trustedHosts: ['127.0.0.1'] });

/** Calls `path` on the trusted host inside a span, with baggage and credentials set. */
async function callWithCredentials(path: string, init: RequestInit = {}) {
  const baggage = propagation.createBaggage({ 'user.email': { value: 'alice@example.com' } });
  return context.with(propagation.setBaggage(context.active(), baggage), () =>
    withSpan('caller', async () => {
      const response = await fetchTraced()(trustedUrl + path, {
        ...init,
        headers: {
          authorization: 'Bearer top-secret',
          cookie: 'session=abc',
          'proxy-authorization': 'Basic cHJveHk=',
          'x-kept': 'yes',
        },
      });
      return { response, text: await response.text() };
    }),
  );
}

describe('traced fetch redirects', () => {
  it('a trusted host redirecting to an untrusted one: the untrusted host gets no trace context, baggage or credentials', async () => {
    const { response, text } = await callWithCredentials(redirect(302, `${untrustedUrl}/landing`));
    expect(response.status).toBe(200);
    expect(text).toBe('untrusted GET ');
    const [first, second] = received;
    expect(first?.host).toBe('trusted');
    expect(first?.headers.traceparent).toMatch(/^00-/);
    expect(first?.headers.baggage).toContain('user.email');
    expect(first?.headers.authorization).toBe('Bearer top-secret');
    expect(second).toMatchObject({ host: 'untrusted', path: '/landing' });
    for (const name of ['traceparent', 'tracestate', 'baggage', 'authorization', 'cookie', 'proxy-authorization']) {
      expect(second?.headers[name]).toBeUndefined();
    }
    expect(second?.headers['x-kept']).toBe('yes');

    const spans = clientSpans();
    expect(spans).toHaveLength(2);
    expect(spans[0]?.attributes).toMatchObject({ 'http.response.status_code': 302, 'server.address': '127.0.0.1' });
    expect(spans[0]?.attributes['http.request.resend_count']).toBeUndefined();
    expect(spans[1]?.attributes).toMatchObject({
      'http.response.status_code': 200,
      'server.address': '127.0.0.2',
      'http.request.resend_count': 1,
      'url.full': `${untrustedUrl}/landing`,
    });
    expect(spans[1]?.parentSpanContext?.spanId).toBe(spans[0]?.parentSpanContext?.spanId);
    // what a sampler sees at the start of each hop
    expect(samplerSaw[1]).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.2',
      'server.port': Number(new URL(untrustedUrl).port),
      'url.full': `${untrustedUrl}/landing`,
      'http.request.resend_count': 1,
    });
  });

  it('trust is decided per hop: back on a trusted host the hop carries its own traceparent, credentials stay dropped', async () => {
    const back = `${untrustedUrl}${redirect(307, `${trustedUrl}/landing`)}`;
    await callWithCredentials(redirect(302, back));
    expect(received.map((r) => r.host)).toEqual(['trusted', 'untrusted', 'trusted']);
    const last = received[2];
    const spans = clientSpans();
    expect(spans).toHaveLength(3);
    const third = spans[2]?.spanContext();
    expect(last?.headers.traceparent).toBe(`00-${third?.traceId}-${third?.spanId}-01`);
    expect(last?.headers.baggage).toBe('user.email=alice%40example.com');
    expect(received[1]?.headers.baggage).toBeUndefined();
    expect(last?.headers.authorization).toBeUndefined();
    expect(last?.headers.cookie).toBeUndefined();
    expect(last?.headers['proxy-authorization']).toBeUndefined();
    expect(received[1]?.headers.traceparent).toBeUndefined();
  });

  it('a same-origin redirect keeps the credentials', async () => {
    await callWithCredentials(redirect(301, '/landing'));
    expect(received[1]?.path).toBe('/landing');
    expect(received[1]?.headers.authorization).toBe('Bearer top-secret');
    expect(received[1]?.headers.cookie).toBe('session=abc');
    expect(received[1]?.headers['proxy-authorization']).toBe('Basic cHJveHk=');
  });

  it('follows the fetch rules for methods: 303 turns a POST into a bodiless GET, 307 resends POST and body', async () => {
    const see = await callWithCredentials(redirect(303, '/landing'), { method: 'POST', body: 'payload' });
    expect(see.text).toBe('trusted GET ');
    expect(received[1]?.headers['content-type']).toBeUndefined();
    received.length = 0;
    const temp = await callWithCredentials(redirect(307, '/landing'), { method: 'POST', body: 'payload' });
    expect(temp.text).toBe('trusted POST payload');
    expect(received[1]).toMatchObject({ method: 'POST', body: 'payload' });
    // A body that came as a stream inside a Request cannot be resent: the call fails as fetch's does.
    received.length = 0;
    const streamed = new Request(trustedUrl + redirect(308, '/landing'), { method: 'POST', body: 'payload' });
    await expect(fetchTraced()(streamed)).rejects.toThrow(/would resend a streamed body/);
    expect(received).toHaveLength(1);
  });

  it('stops a redirect loop after 20 redirects, failing the last hop; redirect: manual hands the 3xx back', async () => {
    await expect(fetchTraced()(`${trustedUrl}/loop`)).rejects.toThrow(/more than 20 redirects/);
    expect(received).toHaveLength(21);
    // The conventions: a 3xx is not an error, unless following it hits the redirect limit.
    const loop = clientSpans();
    expect(loop).toHaveLength(21);
    expect(loop.slice(0, 20).every((span) => span.status.code === SpanStatusCode.UNSET)).toBe(true);
    expect(loop[20]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(loop[20]?.attributes).toMatchObject({ 'error.type': 'TypeError', 'http.request.resend_count': 20 });
    received.length = 0;
    const manual = await fetchTraced()(trustedUrl + redirect(302, `${untrustedUrl}/landing`), { redirect: 'manual' });
    expect(manual.status).toBe(302);
    expect(received).toHaveLength(1);
  });

  it('refuses a redirect to a URL with credentials without quoting it, and fails its span', async () => {
    const withCredentials = `${untrustedUrl.replace('//', '//mallory:pw-secret@')}/landing`;
    const call = callWithCredentials(redirect(302, withCredentials));
    await expect(call).rejects.toThrow(/redirect to a URL with credentials$/);
    await expect(call).rejects.not.toThrow(/pw-secret|mallory/);
    expect(received.map((r) => r.host)).toEqual(['trusted']);
    const [span] = clientSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(JSON.stringify([span?.attributes, span?.events, span?.status])).not.toMatch(/pw-secret|mallory/);
  });

  it('redirect: error fails the call and the span of the hop that answered with a redirect', async () => {
    const call = fetchTraced()(trustedUrl + redirect(302, '/landing'), { redirect: 'error' });
    await expect(call).rejects.toThrow(/unexpected redirect/);
    expect(received).toHaveLength(1);
    expect(clientSpans().map((span) => span.status.code)).toEqual([SpanStatusCode.ERROR]);
  });

  it('records http.client.request.duration per request, and an unknown method as _OTHER named HTTP', async () => {
    await fetchTraced()(`${trustedUrl}/x`, { method: 'PURGE' });
    const [span] = clientSpans();
    expect(span?.name).toBe('HTTP');
    expect(span?.attributes).toMatchObject({
      'http.request.method': '_OTHER',
      'http.request.method_original': 'PURGE',
    });
    const text = await telemetry.prometheusText();
    const series = text.split('\n').filter((l) => l.startsWith('http_client_request_duration_count'));
    expect(
      series.some(
        (l) =>
          l.includes('http_request_method="_OTHER"') &&
          l.includes('server_address="127.0.0.1"') &&
          l.includes('http_response_status_code="200"'),
      ),
    ).toBe(true);
    expect(text).not.toContain('PURGE');
  });
});
