import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { createLogger } from '@service-runtime/observability';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler, notFound, tracing } from '../src/index.ts';
import { waitFor } from './wait-for.ts';

let telemetry: TestTelemetry;

beforeAll(() => {
  telemetry = setupTestTelemetry();
});
afterAll(() => telemetry.shutdown());

describe('tracing() on an existing Express app', () => {
  it('gives each request a named server span, and the error handlers record failures', async () => {
    const app = express();
    app.use(tracing({ logger: createLogger({ level: 'silent' }) }));
    // Mounted twice by mistake: still one span per request.
    app.use(tracing());
    const admin = express.Router();
    admin.get('/reports/:year', (_req, res) => {
      res.send('ok');
    });
    admin.post('/reports', () => {
      throw new Error('disk full');
    });
    app.use('/admin', admin);
    app.use(notFound());
    app.use(errorHandler());
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${base}/admin/reports/2024`)).status).toBe(200);
      const failed = await fetch(`${base}/admin/reports`, { method: 'POST' });
      expect(failed.status).toBe(500);
      expect(failed.headers.get('content-type')).toContain('application/problem+json');
      const spans = await waitFor(() => {
        const found = telemetry.spans().filter((span) => span.kind === SpanKind.SERVER);
        return found.length === 2 && found;
      });
      expect(spans.map((span) => span.name).sort()).toEqual(['GET /admin/reports/:year', 'POST /admin/reports']);
      const error = spans.find((span) => span.name === 'POST /admin/reports');
      expect(error?.status.code).toBe(SpanStatusCode.ERROR);
      expect(error?.events.some((event) => event.name === 'exception')).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
