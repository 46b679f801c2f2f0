import { type Attributes, trace } from '@opentelemetry/api';
import { type ReadableSpan, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { createLogger, startAttributesObserved } from '@service-runtime/observability';
import { describe, expect, it, vi } from 'vitest';
import { attributeRecordingSampler, observabilityPerTest } from '../../../test/helpers/observability-per-test.ts';
import { startOtlpReceiver } from '../../../test/helpers/otlp-receiver.ts';
import { createApp, listen } from '../src/index.ts';

// Under initObservability with a built-in sampler nothing can read start attributes, so httpkit sets
// them after the start and only on recorded spans; with a custom sampler or span processor they are
// given at the start. Either way the exported span carries every one of them.
const init = observabilityPerTest();

const START_KEYS = ['http.request.method', 'url.path', 'url.scheme', 'server.address', 'server.port'];

async function serveOne(): Promise<void> {
  const app = createApp({ logger: createLogger({ level: 'silent' }) });
  app.get('/users/:id', (_req, res) => {
    res.json({});
  });
  await using server = await listen(app, { host: '127.0.0.1', closeOnShutdown: false });
  await (await fetch(`${server.url}/users/7?x=1`)).text();
}

describe('server span start attributes', () => {
  it('are all on the exported span when a built-in sampler decides (set after the start)', async () => {
    await using receiver = await startOtlpReceiver();
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.endpoint);
    const obs = init({});
    expect(startAttributesObserved()).toBe(false);
    await serveOne();
    await obs.forceFlush();
    const [span] = await receiver.waitForSpans(1, { filter: (s) => s.name === 'GET /users/:id' });
    expect(span!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/users/7',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'http.route': '/users/:id',
      'http.response.status_code': 200,
    });
    expect(span!.attributes['server.port']).toEqual(expect.any(Number));
  });

  it('are given at the start to a custom sampler', async () => {
    const seen: Attributes[] = [];
    const sampler = attributeRecordingSampler(seen);
    init({ tracesExporter: 'none', sampler });
    expect(startAttributesObserved()).toBe(true);
    await serveOne();
    expect(Object.keys(seen[0] ?? {})).toEqual(expect.arrayContaining(START_KEYS));
    expect(seen[0]?.['url.path']).toBe('/users/7');
  });

  it('are given at the start when a span processor of the service may read them in onStart', async () => {
    const started: Attributes[] = [];
    const ended: ReadableSpan[] = [];
    const processor: SpanProcessor = {
      onStart: (span) => void started.push({ ...span.attributes }),
      onEnd: (span) => void ended.push(span),
      forceFlush: async () => undefined,
      shutdown: async () => undefined,
    };
    init({ tracesExporter: 'none', spanProcessors: [processor] });
    expect(startAttributesObserved()).toBe(true);
    await serveOne();
    expect(Object.keys(started[0] ?? {})).toEqual(expect.arrayContaining(START_KEYS));
    expect(Object.keys(ended[0]!.attributes)).toEqual(expect.arrayContaining(START_KEYS));
  });

  it('are not built while no tracer provider records (OTEL_SDK_DISABLED), and are once a service registers one', async () => {
    vi.stubEnv('OTEL_SDK_DISABLED', 'true');
    init({});
    expect(startAttributesObserved()).toBe(false);
    await serveOne();
    const seen: Attributes[] = [];
    const provider = new TracerProvider({ sampler: attributeRecordingSampler(seen) });
    expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    try {
      expect(startAttributesObserved()).toBe(true);
      await serveOne();
      expect(Object.keys(seen[0] ?? {})).toEqual(expect.arrayContaining(START_KEYS));
    } finally {
      trace.disable();
    }
  });
});
