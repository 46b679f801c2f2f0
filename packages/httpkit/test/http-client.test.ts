import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { withSpan } from '@service-runtime/observability';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHttpClient } from '../src/index.ts';

let telemetry: TestTelemetry;
let downstream: Server;
let port: number;
const received: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  telemetry = setupTestTelemetry();
  downstream = createServer((req, res) => {
    received.push(req.headers);
    if (req.url === '/hang') return;
    res
      .writeHead(req.url === '/missing' ? 404 : 200, {
        'content-type': 'application/json',
      })
      .end('{}');
  });
  await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
  port = (downstream.address() as AddressInfo).port;
});

afterAll(async () => {
  downstream.closeAllConnections();
  await new Promise((resolve) => downstream.close(resolve));
  await telemetry.shutdown();
});

beforeEach(() => {
  telemetry.reset();
  received.length = 0;
});

function clientSpans() {
  return telemetry.spans().filter((span) => span.kind === SpanKind.CLIENT);
}

describe('createHttpClient', () => {
  it('injects trace context for a trusted host, as a child of the active span', async () => {
    const fetchTraced = createHttpClient({ trustedHosts: ['127.0.0.1'] });
    await withSpan('caller', async () => {
      await (await fetchTraced(`http://127.0.0.1:${port}/orders?id=secret`)).text();
    });
    const [client] = clientSpans();
    const caller = telemetry.spans().find((span) => span.name === 'caller');
    expect(client?.parentSpanContext?.spanId).toBe(caller?.spanContext().spanId);
    expect(received[0]?.traceparent).toBe(`00-${client?.spanContext().traceId}-${client?.spanContext().spanId}-01`);
    expect(client?.name).toBe('GET');
    expect(client?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': port,
      'http.response.status_code': 200,
      'url.full': `http://127.0.0.1:${port}/orders`,
    });
  });

  it('strips trace headers for an untrusted host, even ones the caller set, and keeps the span', async () => {
    const fetchTraced = createHttpClient({
      trustedHosts: ['orders.internal', '*.svc.cluster.local'],
    });
    await withSpan('caller', async () => {
      const response = await fetchTraced(`http://localhost:${port}/pay`, {
        method: 'POST',
        headers: {
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          tracestate: 'vendor=value',
          baggage: 'user=alice',
          'x-kept': 'yes',
        },
        body: '{}',
      });
      await response.text();
    });
    expect(received[0]?.traceparent).toBeUndefined();
    expect(received[0]?.tracestate).toBeUndefined();
    expect(received[0]?.baggage).toBeUndefined();
    expect(received[0]?.['x-kept']).toBe('yes');
    expect(clientSpans()).toHaveLength(1);
    expect(clientSpans()[0]?.name).toBe('POST');
  });

  it('takes the trusted hosts from HTTPKIT_TRUSTED_HOSTS over the options', async () => {
    vi.stubEnv('HTTPKIT_TRUSTED_HOSTS', `localhost:${port}`);
    const fetchTraced = createHttpClient({ trustedHosts: [] });
    await (await fetchTraced(`http://localhost:${port}/a`)).text();
    await (await fetchTraced(`http://127.0.0.1:${port}/b`)).text();
    expect(received[0]?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(received[1]?.traceparent).toBeUndefined();
  });

  it('marks 4xx answers and network errors as ERROR', async () => {
    const fetchTraced = createHttpClient();
    await (await fetchTraced(`http://127.0.0.1:${port}/missing`)).text();
    await expect(fetchTraced('http://127.0.0.1:1/unreachable')).rejects.toThrow();
    const [notFound, failed] = clientSpans();
    expect(notFound?.status.code).toBe(SpanStatusCode.ERROR);
    expect(notFound?.attributes['error.type']).toBe('404');
    expect(failed?.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed?.events.some((event) => event.name === 'exception')).toBe(true);
  });

  it('a call the caller aborts is not an error (the HTTP conventions); a timeout is', async () => {
    const fetchTraced = createHttpClient();
    const controller = new AbortController();
    const aborted = fetchTraced(`http://127.0.0.1:${port}/hang`, { signal: controller.signal });
    await vi.waitFor(() => expect(received).toHaveLength(1));
    controller.abort();
    await expect(aborted).rejects.toThrow(/abort/i);
    await expect(fetchTraced(`http://127.0.0.1:${port}/hang`, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    const [cancelled, timedOut] = clientSpans();
    expect(cancelled?.status.code).toBe(SpanStatusCode.UNSET);
    expect(cancelled?.attributes['error.type']).toBeUndefined();
    expect(cancelled?.events).toEqual([]);
    expect(timedOut?.status.code).toBe(SpanStatusCode.ERROR);
    expect(timedOut?.attributes['error.type']).toBe('TimeoutError');
    // Metrics accumulate over the file: the two calls here are the ones that never got a status.
    const unanswered = (await telemetry.prometheusText())
      .split('\n')
      .filter((line) => line.startsWith('http_client_request_duration_count') && !line.includes('status_code'));
    expect(unanswered.filter((line) => line.includes(`server_port="${port}"`))).toEqual([
      expect.not.stringContaining('error_type'),
      expect.stringContaining('error_type="TimeoutError"'),
    ]);
  });
});
