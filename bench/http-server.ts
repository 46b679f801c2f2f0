/**
 * One server variant of `npm run bench:http`, run in its own process so instrumentations never leak
 * between variants. argv[2]: bare | httpkit | auto (SDK TracerProvider) | auto-lean (the toolkit's tracer). Observability is configured by the environment
 * the parent passes (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER...).
 * Sends `{ port }` over IPC once listening; answers `{ health }` to 'health', `{ cpu }` (µs of CPU
 * used so far) to 'cpu' and `{ rss: { rss, heapAfterGc } }` (bytes) to 'rss'.
 */
import { createRequire } from 'node:module';
import type { Request, Response } from 'express';

const variant = process.argv[2];
const require = createRequire(import.meta.url);

// The one route and handler every variant serves.
function handler(req: Request, res: Response): void {
  res.json({ id: req.params['id'], name: 'Ada Lovelace', roles: ['admin', 'author'] });
}

type Health = () => unknown;
let port: number;
let health: Health = () => undefined;

if (variant === 'bare') {
  const express = require('express') as typeof import('express');
  const app = express();
  app.get('/users/:id', handler);
  port = await listenPlain(app);
} else if (variant === 'httpkit') {
  const { initObservability } = await import('@service-runtime/observability');
  const obs = initObservability({ serviceName: 'bench-httpkit', handleSignals: false });
  health = () => obs.tracingHealth();
  const { createApp, listen } = await import('@service-runtime/httpkit');
  // BENCH_APP_OPTIONS: createApp options as JSON, for rows that switch a part of the chain off.
  const app = createApp(JSON.parse(process.env['BENCH_APP_OPTIONS'] ?? '{}'));
  app.get('/users/:id', handler);
  port = (await listen(app, { host: '127.0.0.1', closeOnShutdown: false })).port;
} else if (variant === 'auto' || variant === 'auto-lean') {
  // Instrumentations first: they patch `http` and `express` when those are required after them.
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
  const instrumentations = [new HttpInstrumentation(), new ExpressInstrumentation()];
  const { initObservability } = await import('@service-runtime/observability');
  if (variant === 'auto-lean') {
    // The same instrumentations recording into the toolkit's own lean tracer.
    const obs = initObservability({ serviceName: 'bench-auto', handleSignals: false, instrumentations });
    health = () => obs.tracingHealth();
  } else {
    // The anchor as users wire auto-instrumentation: the SDK's TracerProvider, its spans going into
    // the same bounded batch processor and OTLP exporter the createApp rows use.
    const obs = initObservability({ serviceName: 'bench-auto', handleSignals: false });
    const { trace } = await import('@opentelemetry/api');
    const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
    const { resourceFromAttributes } = await import('@opentelemetry/resources');
    const { TracerProvider } = await import('@opentelemetry/sdk-trace');
    const { BoundedBatchSpanProcessor } = await import('../packages/observability/src/batch-processor.ts');
    const { resolveConfig } = await import('../packages/observability/src/config.ts');
    const { OtlpHttpSpanExporter } = await import('../packages/observability/src/otlp-span-exporter.ts');
    const config = resolveConfig({ serviceName: 'bench-auto' });
    const exporter = new OtlpHttpSpanExporter({
      url: config.otlp.url,
      headers: config.otlp.headers,
      json: false,
      timeoutMs: config.otlp.timeoutMs,
      notices: obs.logger,
      redact: (text) => text,
    });
    const processor = new BoundedBatchSpanProcessor(exporter, config.batch);
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'bench-auto' }),
      spanProcessors: [processor],
    });
    trace.disable();
    trace.setGlobalTracerProvider(provider);
    registerInstrumentations({ instrumentations, tracerProvider: provider });
    health = () => processor.health;
  }
  const express = require('express') as typeof import('express');
  const app = express();
  app.get('/users/:id', handler);
  port = await listenPlain(app);
} else {
  throw new Error(`unknown variant ${variant}`);
}

function listenPlain(app: import('express').Express): Promise<number> {
  const http = require('node:http') as typeof import('node:http');
  const server = http.createServer(app);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as import('node:net').AddressInfo).port)),
  );
}

process.on('message', (message) => {
  if (message === 'health') process.send?.({ health: health() });
  if (message === 'rss') {
    // RSS as it stands, then the live heap after a full GC (the child runs with --expose-gc).
    const rss = process.memoryUsage.rss();
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ rss: { rss, heapAfterGc: process.memoryUsage().heapUsed } });
  }
  if (message === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpu: user + system });
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ port });
