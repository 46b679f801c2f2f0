import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@service-runtime/observability';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, listen } from '../src/index.ts';
import { rawRequest } from './raw-http.ts';
import { waitFor } from './wait-for.ts';

let telemetry: TestTelemetry;
beforeAll(() => {
  telemetry = setupTestTelemetry();
});
afterAll(() => telemetry.shutdown());

function capture(): { destination: Writable; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(line);
      callback();
    },
  });
  return { destination, lines };
}

// The raw target keeps characters fetch would percent-encode and JSON must escape: a quote, a backslash.
const TARGET = '/files/a"b\\c%20d{x}?secret=1';
const PATH = '/files/a"b\\c%20d{x}';

async function oneLine(logger: Logger, lines: string[]): Promise<Record<string, unknown>> {
  const app = createApp({ logger });
  app.get('/files/*rest', (_req, res) => {
    res.status(503).json({ ok: false });
  });
  await using server = await listen(app, { host: '127.0.0.1', closeOnShutdown: false });
  const answer = await rawRequest(
    server.port,
    `GET ${TARGET} HTTP/1.1\r\nHost: x\r\nx-request-id: req-9\r\nConnection: close\r\n\r\n`,
  );
  expect(answer).toMatch(/^HTTP\/1.1 503/);
  const line = await waitFor(() => lines.find((l) => l.includes('request completed')));
  return JSON.parse(line) as Record<string, unknown>;
}

describe('access-log line', () => {
  it('escapes what comes from the request and keeps every field (createLogger, fixed-shape writer)', async () => {
    const { destination, lines } = capture();
    const line = await oneLine(createLogger({ serviceName: 'svc', destination }), lines);
    expect(line).toMatchObject({
      level: 'warn',
      service_name: 'svc',
      method: 'GET',
      route: '/files/*rest',
      path: PATH,
      status: 503,
      request_id: 'req-9',
      msg: 'request completed',
    });
    expect(line['trace_id']).toMatch(/^[0-9a-f]{32}$/);
    expect(line['span_id']).toMatch(/^[0-9a-f]{16}$/);
    expect(typeof line['duration_ms']).toBe('number');
    expect(Object.keys(line)).toEqual([
      'level',
      'time',
      'service_name',
      'method',
      'route',
      'path',
      'status',
      'duration_ms',
      'trace_id',
      'span_id',
      'request_id',
      'msg',
    ]);
  });

  it('writes the same fields through a logger the writer does not know (plain pino)', async () => {
    const { destination, lines } = capture();
    const line = await oneLine(pino({ base: {} }, destination), lines);
    expect(line).toMatchObject({ level: 40, method: 'GET', route: '/files/*rest', path: PATH, status: 503 });
    expect(line['request_id']).toBe('req-9');
    expect(line['trace_id']).toMatch(/^[0-9a-f]{32}$/);
  });
});
