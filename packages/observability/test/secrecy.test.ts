// No URL credential, query or header value from an OTEL_* setting reaches any output: not our own
// warnings, not the OpenTelemetry SDK's diagnostics, not an export failure notice quoting the answer.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
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

describe('credentials in OTEL_* settings', () => {
  it('never appear in the log: a credentialed endpoint, a query key, header values, a mistyped URL', async () => {
    // A collector that refuses every export and echoes what it was sent, credentials included.
    let requests = 0;
    server = createServer((req, res) => {
      requests++;
      req.resume();
      res
        .writeHead(500, { 'content-type': 'text/plain' })
        .end(`denied ${req.headers['authorization'] ?? ''} ${req.headers['x-api-key'] ?? ''} ${req.url}`);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] =
      `http://user:s3cr3t-pass@127.0.0.1:${port}/v1/traces?api_key=query-key-9876`;
    process.env['OTEL_EXPORTER_OTLP_HEADERS'] = 'x-api-key=header-token-5555';
    process.env['OTEL_METRICS_EXPORTER'] = 'otlp';
    // Mistyped: not a URL; the SDK's metric exporter re-reads it and complains through diag.
    process.env['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'] = 'http://user:metrics-pass-4321@collector host:4318';

    const output: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        output.push(chunk.toString());
        done();
      },
    });
    obs = initObservability({ handleSignals: false, shutdownTimeoutMs: 1000, logger: { destination } });
    withSpan('work', () => undefined);
    await obs.forceFlush();
    await obs.shutdown();
    const text = output.join('');

    expect(requests).toBeGreaterThan(0);
    // Each kind of notice is there, so the absence of secrets below means something.
    expect(text).toContain('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is not an http(s) URL');
    expect(text).toContain('Could not parse environment-provided export URL');
    expect(text).toContain('span export failed (HTTP 500)');
    expect(text).toContain(`"endpoint":"http://127.0.0.1:${port}/v1/traces"`);
    expect(text).toContain('denied Basic [redacted] [redacted] /v1/traces');
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).not.toContain(Buffer.from('user:s3cr3t-pass').toString('base64'));
  });
});
