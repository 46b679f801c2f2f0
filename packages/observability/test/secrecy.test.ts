// No URL credential, query or header value from an OTEL_* setting reaches any output: not our own
// warnings, not the OpenTelemetry SDK's diagnostics, not an export failure notice quoting the answer.
// Span and metric export over OTLP/HTTP no longer re-read OTEL_* at all (our own sender).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { diag } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resetConfigWarnings } from '../src/env.ts';
import { initObservability, type Observability } from '../src/observability.ts';
import { withSpan } from '../src/with-span.ts';

const SECRETS = ['s3cr3t-pass', 'query-key-9876', 'header-token-5555', 'metrics-pass-4321'];

let obs: Observability | undefined;
let server: Server | undefined;
beforeEach(() => {
  for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];
  resetConfigWarnings();
});
afterEach(async () => {
  await obs?.shutdown();
  obs = undefined;
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
});

let requests = 0;

/** A collector that refuses every export and echoes what it was sent, credentials included. */
async function startRefusingCollector(): Promise<number> {
  requests = 0;
  server = createServer((req, res) => {
    requests++;
    req.resume();
    res
      .writeHead(500, { 'content-type': 'text/plain' })
      .end(`denied ${req.headers['authorization'] ?? ''} ${req.headers['x-api-key'] ?? ''} ${req.url}`);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function capture() {
  const output: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      output.push(chunk.toString());
      done();
    },
  });
  return { output, destination };
}

describe('credentials in OTEL_* settings', () => {
  it('never appear in the log: a credentialed endpoint, a query key, header values, a mistyped URL', async () => {
    const port = await startRefusingCollector();
    process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] =
      `http://user:s3cr3t-pass@127.0.0.1:${port}/v1/traces?api_key=query-key-9876`;
    process.env['OTEL_EXPORTER_OTLP_HEADERS'] = 'x-api-key=header-token-5555';
    process.env['OTEL_METRICS_EXPORTER'] = 'otlp';
    // Mistyped: not a URL; the SDK's metric exporter re-reads it and complains through diag.
    process.env['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'] = 'http://user:metrics-pass-4321@collector host:4318';

    const { output, destination } = capture();
    obs = initObservability({ handleSignals: false, shutdownTimeoutMs: 1000, logger: { destination } });
    // What the OpenTelemetry SDK's own code logs when it re-reads these settings (gRPC exporters,
    // instrumentations) goes through the diag bridge init installed; a whole response body too.
    const metricsUrl = process.env['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'];
    diag.warn(`Configuration: Could not parse environment-provided export URL: '${metricsUrl}', falling back`);
    diag.warn('Header "x-api-key" has invalid value (header-token-5555) and will be ignored');
    diag.error('export failed', new Uint8Array(10_000_000), { body: 'x'.repeat(100_000) });
    withSpan('work', () => undefined);
    await obs.forceFlush();
    await obs.shutdown();
    const text = output.join('');

    expect(requests).toBeGreaterThan(0);
    // Each kind of notice is there, so the absence of secrets below means something.
    expect(text).toContain('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is not an http(s) URL');
    expect(text).toContain('Could not parse environment-provided export URL');
    expect(text).toContain('has invalid value ([redacted]) and will be ignored');
    expect(text).toContain('<10000000 bytes>');
    expect(text.length).toBeLessThan(10_000);
    expect(text).toContain('span export failed (HTTP 500)');
    expect(text).toContain(`"endpoint":"http://127.0.0.1:${port}/v1/traces"`);
    expect(text).toContain('denied Basic [redacted] [redacted] /v1/traces');
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).not.toContain(Buffer.from('user:s3cr3t-pass').toString('base64'));
  });

  it('a mistyped otlpEndpoint option: the service starts on the default endpoint, the URL is never quoted', async () => {
    const { output, destination } = capture();
    const start = () =>
      initObservability({
        handleSignals: false,
        shutdownTimeoutMs: 200,
        tracesExporter: 'otlp',
        otlpEndpoint: 'http://user:s3cr3t-pass@collector host:4318',
        logger: { destination },
      });
    expect(start).not.toThrow();
    obs = start();
    await obs.shutdown();
    const text = output.join('');
    expect(text).toContain('The otlpEndpoint option is not an http(s) URL; using http://localhost:4318/');
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  });

  it('a secret the collector echoes across the excerpt limit is redacted whole, never cut and half shown', async () => {
    // The header value starts 150 characters in: an excerpt clipped to 160 before redaction showed its start.
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${'a'.repeat(150)} ${req.headers['x-api-key']} tail`);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] = `http://127.0.0.1:${port}/v1/traces`;
    process.env['OTEL_EXPORTER_OTLP_HEADERS'] = 'x-api-key=header-token-5555';
    const { output, destination } = capture();
    obs = initObservability({ handleSignals: false, shutdownTimeoutMs: 1000, logger: { destination } });
    withSpan('work', () => undefined);
    await obs.forceFlush();
    const text = output.join('');
    expect(text).toContain('span export failed (HTTP 500)');
    expect(text).toContain(`"excerpt":"${'a'.repeat(150)} [redacted`);
    expect(text).not.toContain('header-to');
  });

  it('metric export failures are counted, logged once per interval and redacted, never as the SDK stack', async () => {
    const port = await startRefusingCollector();
    process.env['OTEL_TRACES_EXPORTER'] = 'none';
    process.env['OTEL_METRICS_EXPORTER'] = 'otlp';
    process.env['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'] = `http://user:metrics-pass-4321@127.0.0.1:${port}/v1/metrics`;
    process.env['OTEL_EXPORTER_OTLP_METRICS_HEADERS'] = 'x-api-key=header-token-5555';
    const { output, destination } = capture();
    obs = initObservability({ handleSignals: false, shutdownTimeoutMs: 1000, logger: { destination } });
    obs.meter('test').createCounter('orders').add(1);
    await obs.forceFlush();
    await obs.forceFlush();
    await obs.shutdown();
    const text = output.join('');

    expect(requests).toBeGreaterThanOrEqual(2);
    expect(text.match(/metric export failed \(HTTP 500\)/g)).toHaveLength(1);
    expect(text).toContain(`"endpoint":"http://127.0.0.1:${port}/v1/metrics"`);
    expect(text).toContain('denied Basic [redacted] [redacted] /v1/metrics');
    expect(text).not.toContain('PeriodicExportingMetricReader');
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  });
});
