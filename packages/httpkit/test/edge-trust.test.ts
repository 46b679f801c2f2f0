import { SpanKind } from '@opentelemetry/api';
import { createLogger } from '@service-runtime/observability';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, listen, type RunningServer } from '../src/index.ts';
import { waitFor } from './wait-for.ts';

const CALLER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
const TRACEPARENT = `00-${CALLER.traceId}-${CALLER.spanId}-01`;

let telemetry: TestTelemetry;
let edge: RunningServer;
let mesh: RunningServer;

async function serverSpanFor(server: RunningServer, headers: Record<string, string>) {
  const before = telemetry.spans().length;
  const response = await fetch(`${server.url}/hello`, { headers });
  expect(response.status).toBe(200);
  return waitFor(() =>
    telemetry
      .spans()
      .slice(before)
      .find((s) => s.kind === SpanKind.SERVER),
  );
}

beforeAll(async () => {
  telemetry = setupTestTelemetry();
  const logger = createLogger({ level: 'silent' });
  const build = (trustIncomingTraceContext?: boolean) => {
    const app = createApp({ accessLog: false, logger, trustIncomingTraceContext });
    app.get('/hello', (_req, res) => {
      res.json({ ok: true });
    });
    return app;
  };
  edge = await listen(build(false), { host: '127.0.0.1', closeOnShutdown: false });
  mesh = await listen(build(), { host: '127.0.0.1', closeOnShutdown: false });
});
afterAll(async () => {
  await edge.close();
  await mesh.close();
  await telemetry.shutdown();
});

describe('incoming trace context at the trust boundary', () => {
  it('continues the caller trace by default (inside the mesh)', async () => {
    const span = await serverSpanFor(mesh, { traceparent: TRACEPARENT });
    expect(span.spanContext().traceId).toBe(CALLER.traceId);
    expect(span.parentSpanContext?.spanId).toBe(CALLER.spanId);
    expect(span.links).toEqual([]);
  });

  it('at the edge starts a new trace linked to the caller context, even when the caller asked for sampling', async () => {
    const span = await serverSpanFor(edge, { traceparent: TRACEPARENT, baggage: 'user=mallory' });
    expect(span.spanContext().traceId).not.toBe(CALLER.traceId);
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.links.map((l) => l.context)).toMatchObject([CALLER]);
  });

  it('at the edge starts a plain new trace when the caller sent nothing usable', async () => {
    const span = await serverSpanFor(edge, { traceparent: 'garbage' });
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.links).toEqual([]);
  });

  it('lets HTTPKIT_TRUST_INCOMING_TRACE_CONTEXT override the option', async () => {
    vi.stubEnv('HTTPKIT_TRUST_INCOMING_TRACE_CONTEXT', 'false');
    const app = createApp({ accessLog: false, logger: createLogger({ level: 'silent' }) });
    app.get('/hello', (_req, res) => {
      res.json({ ok: true });
    });
    await using fromEnv = await listen(app, { host: '127.0.0.1', closeOnShutdown: false });
    const span = await serverSpanFor(fromEnv, { traceparent: TRACEPARENT });
    expect(span.spanContext().traceId).not.toBe(CALLER.traceId);
    expect(span.links).toHaveLength(1);
  });
});
