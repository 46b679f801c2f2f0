import { createRequire } from 'node:module';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { createLogger } from '@service-runtime/observability';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp, listen, type RunningServer } from '../src/index.ts';
import { waitFor } from './wait-for.ts';

// vitest runs each file in its own fork, so instrumentation-http patches only this process.
const require = createRequire(import.meta.url);
let telemetry: TestTelemetry;
let server: RunningServer;
let instrumentation: { disable(): void; enable(): void };

function serverSpans() {
  return telemetry.spans().filter((span) => span.kind === SpanKind.SERVER);
}

beforeAll(async () => {
  telemetry = setupTestTelemetry();
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as {
    HttpInstrumentation: new () => { disable(): void; enable(): void };
  };
  instrumentation = new HttpInstrumentation();
  instrumentation.enable();
  // Requiring `http` after enable() lets require-in-the-middle patch the shared Server prototype.
  require('node:http');
  const app = createApp({ logger: createLogger({ level: 'silent' }) });
  const users = express.Router();
  users.get('/:id', (req, res) => {
    res.json({ id: req.params['id'] });
  });
  users.get('/:id/fail', () => {
    throw new Error('boom');
  });
  app.use('/api/users', users);
  server = await listen(app, { host: '127.0.0.1', closeOnShutdown: false });
});

afterAll(async () => {
  await server.close();
  instrumentation.disable();
  await telemetry.shutdown();
});

beforeEach(() => telemetry.reset());

describe('with instrumentation-http active', () => {
  it('enriches its server span instead of making a second one', async () => {
    const response = await fetch(`${server.url}/api/users/7`);
    expect(response.status).toBe(200);
    const [span] = await waitFor(() => serverSpans().length > 0 && serverSpans());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(serverSpans()).toHaveLength(1);
    expect(span!.instrumentationScope.name).toBe('@opentelemetry/instrumentation-http');
    expect(span!.name).toBe('GET /api/users/:id');
    expect(span!.attributes['http.route']).toBe('/api/users/:id');
  });

  it('records a thrown error on that span', async () => {
    const response = await fetch(`${server.url}/api/users/7/fail`);
    expect(response.status).toBe(500);
    const [span] = await waitFor(() => serverSpans().length > 0 && serverSpans());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(serverSpans()).toHaveLength(1);
    expect(span!.name).toBe('GET /api/users/:id/fail');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.events.some((event) => event.name === 'exception')).toBe(true);
  });
});
