// Arbitrary traceparent/tracestate headers into an httpkit server: the request is always answered,
// a valid sampled parent is continued, anything else starts a new root trace (never an error), the
// server span's status stays unset, and the next valid request is handled normally.
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { createApp, listen, type RunningServer } from '@service-runtime/httpkit';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anyTraceparent,
  anyTracestate,
  parseW3c,
  sampledTraceparent,
  watchUnhandledRejections,
} from './trace-context-arbitraries.ts';

let telemetry: TestTelemetry;
let server: RunningServer;
let counter = 0;
const rejections = watchUnhandledRejections();

beforeAll(async () => {
  process.env['LOG_LEVEL'] ??= 'error';
  telemetry = setupTestTelemetry({ serviceName: 'properties-http' });
  const app = createApp({ accessLog: false });
  app.get('/p/:n', (req, res) => {
    res.json({ n: req.params['n'] });
  });
  server = await listen(app, { host: '127.0.0.1', closeOnShutdown: false });
});

afterAll(async () => {
  await server.close();
  await telemetry.shutdown();
  rejections.dispose();
});

/** GETs a fresh path with `headers`; resolves the status and the server span (if one was recorded). */
async function call(headers: Record<string, string>): Promise<{ status: number; span: ReadableSpan | undefined }> {
  const n = ++counter;
  const response = await fetch(`${server.url}/p/${n}`, { headers });
  const body = (await response.json()) as { n: string };
  expect(body.n).toBe(String(n));
  // the span ends on the response's 'close', which can come just after the client has the body
  let span: ReadableSpan | undefined;
  for (let i = 0; i < 50 && span === undefined; i++) {
    span = telemetry.spans().find((s) => s.attributes['url.path'] === `/p/${n}`);
    if (span === undefined) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return { status: response.status, span };
}

/** The next valid request continues its parent: the server is still healthy. */
async function expectHealthy(): Promise<void> {
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const { status, span } = await call({ traceparent });
  expect(status).toBe(200);
  expect(span?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  expect(span?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
}

describe('httpkit server: arbitrary trace context headers', () => {
  it('a valid sampled parent is continued; anything else is a new root or (unsampled) not recorded', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyTraceparent,
        fc.option(anyTracestate, { nil: undefined }),
        async (traceparent, tracestate) => {
          const headers: Record<string, string> = { traceparent };
          if (tracestate !== undefined) headers['tracestate'] = tracestate;
          const { status, span } = await call(headers);
          expect(status).toBe(200);
          const parent = parseW3c(traceparent);
          if (parent !== undefined && !parent.sampled) {
            expect(span).toBeUndefined(); // parent-based sampling honours an unsampled upstream
          } else if (parent !== undefined) {
            expect(span?.spanContext().traceId).toBe(parent.traceId);
            expect(span?.parentSpanContext?.spanId).toBe(parent.spanId);
          } else {
            expect(span).toBeDefined();
            expect(span?.parentSpanContext).toBeUndefined();
            expect(traceparent).not.toContain(span?.spanContext().traceId);
          }
          if (span !== undefined) {
            expect(span.name).toBe('GET /p/:n');
            expect(span.status.code).toBe(SpanStatusCode.UNSET);
          }
          await expectHealthy();
          rejections.check();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('tracestate never breaks the parent; a valid one is carried on the span as sent', async () => {
    await fc.assert(
      fc.asyncProperty(sampledTraceparent, anyTracestate, async (traceparent, tracestate) => {
        const { status, span } = await call({ traceparent, tracestate });
        expect(status).toBe(200);
        expect(span?.parentSpanContext?.spanId).toBe(traceparent.slice(36, 52));
        const carried = span?.spanContext().traceState?.serialize() ?? '';
        expect(carried.length).toBeLessThanOrEqual(512);
        if (isValidState(tracestate)) expect(carried).toBe(tracestate);
        rejections.check();
      }),
      { numRuns: 80 },
    );
  });
});

const MEMBER = /^[a-z][a-z0-9_\-*/]{0,10}=[!-+\--<>-~]{1,12}$/;

/** The shape `validTracestate` generates: up to 8 well-formed members with distinct keys. */
function isValidState(value: string): boolean {
  const members = value.split(',');
  return (
    members.length <= 8 &&
    members.every((m) => MEMBER.test(m)) &&
    new Set(members.map((m) => m.split('=')[0])).size === members.length
  );
}
