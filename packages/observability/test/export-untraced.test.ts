// With instrumentation-http given to initObservability (the escape hatch for third-party calls), the
// toolkit's own OTLP export requests must not be traced: each would be a CLIENT span quoting the
// endpoint's query key in url.full, exported by the next export, which makes another span, forever.
// vitest runs each file in its own fork, so instrumentation-http patches only this process.
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../../../test/helpers/otlp-receiver.ts';
import { initObservability, type Observability } from '../src/observability.ts';
import { withSpan } from '../src/with-span.ts';

const require = createRequire(import.meta.url);
const QUERY_KEY = 'query-key-9876';
let receiver: OtlpReceiver;
let obs: Observability;

beforeAll(async () => {
  for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];
  receiver = await startOtlpReceiver();
  const endpoint = receiver.endpoint.replace('http://', 'http://user:s3cr3t-pass@');
  process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] = `${endpoint}/v1/traces?api_key=${QUERY_KEY}`;
  process.env['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'] = `${endpoint}/v1/logs?api_key=${QUERY_KEY}`;
  process.env['OTEL_LOGS_EXPORTER'] = 'otlp';
  process.env['OTEL_BSP_SCHEDULE_DELAY'] = '20';
  process.env['OTEL_BLRP_SCHEDULE_DELAY'] = '20';
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as {
    HttpInstrumentation: new (config: { ignoreIncomingRequestHook: () => boolean }) => Instrumentation;
  };
  // The receiver runs in this process: its side of each request is not what this test is about.
  const instrumentation = new HttpInstrumentation({ ignoreIncomingRequestHook: () => true });
  const destination = new Writable({ write: (_chunk, _enc, done) => done() });
  obs = initObservability({ handleSignals: false, instrumentations: [instrumentation], logger: { destination } });
  // Requiring `http` after enable() lets require-in-the-middle patch the module every import shares.
  require('node:http');
});

afterAll(async () => {
  await obs.shutdown();
  await receiver.close();
});

describe('OTLP export with instrumentation-http active', () => {
  it('makes no span of its own: no feedback loop, and the endpoint query key never lands in an attribute', async () => {
    // A third-party call is traced, so instrumentation-http is really active in this process.
    await withSpan('work', async () => {
      await fetchWithNodeHttp(`${receiver.endpoint}/third-party`);
      obs.logger.info('work done');
    });
    await obs.forceFlush();
    await receiver.waitForSpans(2);
    // Several more export rounds: with export traced, each would bring new POST spans.
    for (let round = 0; round < 5; round++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await obs.forceFlush();
    }

    const names = receiver.spans.map((span) => span.name).sort();
    expect(names).toEqual(['GET', 'work']);
    const thirdParty = receiver.spans.find((span) => span.name === 'GET');
    expect(String(thirdParty?.attributes['url.full'])).toContain('/third-party');
    expect(receiver.logs.map((log) => log.body)).toContain('work done');
    expect(receiver.requestCount()).toBeLessThan(15);
    const recorded = JSON.stringify([receiver.spans, receiver.logs], (_key, value: unknown) =>
      typeof value === 'bigint' ? String(value) : value,
    );
    expect(recorded).not.toContain(QUERY_KEY);
  });
});

/** A GET through node:http, which instrumentation-http patches. */
function fetchWithNodeHttp(url: string): Promise<void> {
  const http = require('node:http') as typeof import('node:http');
  return new Promise((resolve, reject) => {
    http
      .get(url, (response) => {
        response.resume();
        response.on('end', resolve);
      })
      .on('error', reject);
  });
}
