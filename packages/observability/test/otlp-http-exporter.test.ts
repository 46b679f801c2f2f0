// The OTLP/HTTP span exporter against collectors that misbehave over real sockets: one that drips its
// answer, one that hangs and then recovers, one that answers 200 with an HTML page.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AggregationTemporality, InstrumentType } from '@opentelemetry/sdk-metrics';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { BoundedBatchSpanProcessor } from '../src/batch-processor.ts';
import { resolveConfig } from '../src/config.ts';
import { OtlpHttpSender } from '../src/otlp-http-sender.ts';
import { OtlpHttpMetricExporter } from '../src/otlp-metric-exporter.ts';
import { OtlpHttpSpanExporter } from '../src/otlp-span-exporter.ts';
import { createRedactor } from '../src/redact.ts';

type Mode = 'ok' | 'drip' | 'hang' | 'html';

interface Collector {
  url: string;
  mode: Mode;
  /** Export requests whose body arrived and that were answered 200 with an OTLP answer. */
  accepted: number;
  requests: number;
  openSockets: number;
  maxOpenSockets: number;
  close(): Promise<void>;
}

const HTML_PAGE = `<!DOCTYPE html><html><head><title>Sign in</title></head><body>${'<p>login required</p>'.repeat(60_000)}</body></html>`;

async function startCollector(mode: Mode): Promise<Collector> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const collector: Collector = {
    url: '',
    mode,
    accepted: 0,
    requests: 0,
    openSockets: 0,
    maxOpenSockets: 0,
    close: async () => {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    collector.requests++;
    req.resume();
    req.on('end', () => {
      switch (collector.mode) {
        case 'ok':
          collector.accepted++;
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
          return;
        case 'hang':
          return;
        case 'html':
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HTML_PAGE);
          return;
        case 'drip': {
          res.writeHead(200, { 'content-type': 'application/x-protobuf' });
          const timer = setInterval(() => res.write(Buffer.from([0])), 50);
          timers.add(timer);
          res.on('close', () => clearInterval(timer));
          return;
        }
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    collector.openSockets++;
    collector.maxOpenSockets = Math.max(collector.maxOpenSockets, collector.openSockets);
    socket.on('close', () => {
      sockets.delete(socket);
      collector.openSockets--;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  collector.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  return collector;
}

interface Notice {
  level: 'warn' | 'info';
  fields: Record<string, Record<string, unknown>>;
  message: string;
}

function pipeline(url: string, timeoutMs: number) {
  const notices: Notice[] = [];
  const failures: string[] = [];
  const exporter = new OtlpHttpSpanExporter({
    url,
    headers: { authorization: 'Bearer collector-token-123' },
    json: false,
    timeoutMs,
    notices: {
      warn: (fields, message) => notices.push({ level: 'warn', fields: fields as Notice['fields'], message }),
      info: (fields, message) => notices.push({ level: 'info', fields: fields as Notice['fields'], message }),
    },
    redact: createRedactor(['collector-token-123']),
  });
  const processor = new BoundedBatchSpanProcessor(
    exporter,
    { scheduledDelayMs: 10, exportTimeoutMs: timeoutMs, maxQueueSize: 200, maxExportBatchSize: 10 },
    { onFailed: (_count, reason) => failures.push(reason) },
  );
  const provider = new TracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('test');
  const emit = (n: number) => {
    for (let i = 0; i < n; i++) tracer.startSpan(`span ${i}`).end();
  };
  return { notices, failures, processor, provider, emit };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function emitFor(ms: number, emit: (n: number) => void): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    emit(10);
    await sleep(20);
  }
}

describe('OTLP/HTTP span export to a misbehaving collector', { timeout: 30_000 }, () => {
  for (const mode of ['drip', 'hang'] as const) {
    it(`a collector that ${mode}s: each export is cut with its socket, one at a time, and export resumes once it recovers`, async () => {
      const collector = await startCollector(mode);
      const { failures, processor, provider, emit } = pipeline(collector.url, 300);
      cleanups.push(
        () => provider.shutdown(),
        () => collector.close(),
      );

      await emitFor(2000, emit);
      // Every export was cut: one socket at a time (a second may be seen opening in the instant the
      // cut one is closing), each closed by the exporter rather than left hanging.
      expect(collector.requests).toBeGreaterThanOrEqual(3);
      expect(collector.maxOpenSockets).toBeLessThanOrEqual(2);
      expect(failures.length).toBeGreaterThan(0);
      expect(new Set(failures)).toEqual(new Set(['timeout']));
      expect(processor.health.exported).toBe(0);

      collector.mode = 'ok';
      await emitFor(300, emit);
      await expect.poll(() => collector.accepted, { timeout: 5000 }).toBeGreaterThan(0);
      await expect.poll(() => processor.health.exported, { timeout: 5000 }).toBeGreaterThan(0);
      await expect.poll(() => collector.openSockets, { timeout: 5000 }).toBeLessThanOrEqual(1);
    });
  }

  it('a collector answering 200 with an HTML page: counted as failed, logged once per interval with a short excerpt', async () => {
    const collector = await startCollector('html');
    const { notices, failures, processor, provider, emit } = pipeline(collector.url, 2000);
    cleanups.push(
      () => provider.shutdown(),
      () => collector.close(),
    );

    await emitFor(1000, emit);
    await provider.forceFlush();
    expect(collector.requests).toBeGreaterThanOrEqual(3);
    expect(failures.length).toBe(collector.requests);
    expect(new Set(failures)).toEqual(new Set(['invalid_response']));
    expect(processor.health.exported).toBe(0);
    const warnings = notices.filter((n) => n.level === 'warn');
    expect(warnings).toHaveLength(1);
    const otlp = warnings[0]?.fields['otlp'];
    expect(otlp).toMatchObject({ error_type: 'invalid_response', status: 200 });
    expect(String(otlp?.['content_type'])).toContain('text/html');
    expect(String(otlp?.['excerpt'])).toMatch(/^<!DOCTYPE html><html><head><title>Sign in/);
    expect(JSON.stringify(warnings).length).toBeLessThan(1000);

    // Once it answers as a collector again, a notice says so, with the failures not logged meanwhile.
    collector.mode = 'ok';
    emit(5);
    await provider.forceFlush();
    const recovered = notices.filter((n) => n.level === 'info');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]?.fields['otlp']?.['unreported_failures']).toBe(failures.length - 1);
  });
});

describe('OTLP/HTTP metric export', () => {
  it('takes its temporality from OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', () => {
    const temporalityOf = (value: string | undefined, type: InstrumentType) => {
      const config = resolveConfig(
        {},
        value === undefined ? {} : { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: value },
      );
      const exporter = new OtlpHttpMetricExporter(
        { url: 'http://127.0.0.1:9/v1/metrics', headers: {}, json: false, timeoutMs: 100, notices, redact: (t) => t },
        config.metricsTemporality,
      );
      return exporter.selectAggregationTemporality(type);
    };
    const { CUMULATIVE, DELTA } = AggregationTemporality;
    expect(temporalityOf(undefined, InstrumentType.COUNTER)).toBe(CUMULATIVE);
    expect(temporalityOf('delta', InstrumentType.COUNTER)).toBe(DELTA);
    expect(temporalityOf('DELTA', InstrumentType.UP_DOWN_COUNTER)).toBe(CUMULATIVE);
    expect(temporalityOf('lowmemory', InstrumentType.HISTOGRAM)).toBe(DELTA);
    expect(temporalityOf('lowmemory', InstrumentType.OBSERVABLE_COUNTER)).toBe(CUMULATIVE);
  });
});

const notices = { warn: () => undefined, info: () => undefined };

describe('OtlpHttpSender', () => {
  it('a kept-alive connection the collector drops as it is reused: one more try on a fresh one', async () => {
    let connections = 0;
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      req.resume();
      const socket = req.socket as Socket & { served?: number };
      socket.served = (socket.served ?? 0) + 1;
      // The second request on a connection: the collector closes it instead of answering.
      if (socket.served === 2) socket.destroy();
      else req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sender = new OtlpHttpSender({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
      headers: {},
      contentType: 'application/x-protobuf',
      timeoutMs: 5000,
    });
    cleanups.push(async () => {
      sender.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    expect(await sender.post(new Uint8Array([1]))).toEqual({ ok: true, status: 200 });
    expect(await sender.post(new Uint8Array([2]))).toEqual({ ok: true, status: 200 });
    expect({ requests, connections }).toEqual({ requests: 3, connections: 2 });
  });
});
