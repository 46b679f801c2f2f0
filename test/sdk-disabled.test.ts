// OTEL_SDK_DISABLED=true turns tracing and metrics off, not propagation (the SDK environment spec:
// it "has no effect on propagators"): a trace passing through a disabled service between two others
// keeps its trace id over HTTP and NATS, and its baggage over HTTP.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { initObservability, type Observability } from '@service-runtime/observability';
import { createApp, createHttpClient, listen } from '@service-runtime/httpkit';
import { createBus } from '@service-runtime/natsbus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from './helpers/nats-server.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

let obs: Observability;
let nats: NatsServer;
let downstream: Server;
const downstreamSaw: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];
  process.env['OTEL_SDK_DISABLED'] = 'true';
  process.env['LOG_LEVEL'] = 'error';
  obs = initObservability({ serviceName: 'disabled-gateway', handleSignals: false });
  nats = await startNatsServer();
  // The next service: a plain HTTP server that records what reached it.
  downstream = createServer((req, res) => {
    downstreamSaw.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  downstream.closeAllConnections();
  await new Promise((resolve) => downstream.close(resolve));
  await nats.close();
  await obs.shutdown();
  delete process.env['OTEL_SDK_DISABLED'];
});

describe('OTEL_SDK_DISABLED=true between two services', () => {
  it('records nothing but forwards the incoming trace context over HTTP and NATS, and baggage over HTTP', async () => {
    expect(obs.disabled).toBe(true);
    const downstreamUrl = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}`;
    const fetchTraced = createHttpClient({ trustedHosts: ['127.0.0.1'] });
    const bus = await createBus({ servers: nats.url, source: '/gateway', closeOnShutdown: false });
    const consumed: (string | undefined)[] = [];
    bus.subscribe('orders.disabled', () => {
      consumed.push(trace.getActiveSpan()?.spanContext().traceId);
    });
    await bus.flush();

    const app = createApp();
    app.get('/orders', async (_req, res) => {
      await (await fetchTraced(`${downstreamUrl}/stock`)).text();
      await bus.publish('orders.disabled', { type: 'order.created', data: { id: 1 } });
      res.json({ recording: trace.getActiveSpan()?.isRecording() ?? false });
    });
    await using gateway = await listen(app, { host: '127.0.0.1', closeOnShutdown: false });
    try {
      const response = await fetch(`${gateway.url}/orders`, {
        headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, baggage: 'tenant=acme' },
      });
      expect(await response.json()).toEqual({ recording: false });

      // No span of its own, so the caller's context goes on unchanged.
      expect(downstreamSaw[0]?.traceparent).toBe(`00-${TRACE_ID}-${PARENT_ID}-01`);
      expect(downstreamSaw[0]?.baggage).toBe('tenant=acme');
      await expect.poll(() => consumed.length, { timeout: 10_000 }).toBe(1);
      // NATS carries trace context, never baggage (docs/tracing-model.md).
      expect(consumed[0]).toBe(TRACE_ID);
    } finally {
      await bus.close();
    }
  });
});
