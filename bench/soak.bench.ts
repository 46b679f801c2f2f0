// npm run bench:soak — memory stays flat under sustained load with tracing on (100% sampling, spans
// exported over OTLP/HTTP protobuf to a local discarding sink):
//   1. SOAK_MESSAGES (default 1,000,000) CloudEvents through natsbus: `await bus.publish()` on one
//      connection, `bus.subscribe()` on another, against a nats-server started here;
//   2. SOAK_REQUESTS (default 200,000) HTTP requests to an httpkit `createApp` server, driven by
//      autocannon (keep-alive, 10 connections).
// Each phase runs in SOAK_ROUNDS (default 10) rounds; after each round the heap is measured after
// `global.gc()` (run with --expose-gc), once the spans of the round are exported (a backlog in the
// bounded export queue is not a leak). Prints the samples, first/last and the least-squares slope,
// then the handles still open once everything is closed (`process.getActiveResourcesInfo()`).
import type { AddressInfo } from 'node:net';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { createApp, listen } from '@service-runtime/httpkit';
import { createBus } from '@service-runtime/natsbus';
import { initObservability } from '@service-runtime/observability';
import autocannon from 'autocannon';
import { startNatsServer } from '../test/helpers/nats-server.ts';
import { startDiscardingSink } from './nats-sink.ts';

const MESSAGES = Number(process.env['SOAK_MESSAGES'] ?? 1_000_000);
const REQUESTS = Number(process.env['SOAK_REQUESTS'] ?? 200_000);
const ROUNDS = Math.max(2, Number(process.env['SOAK_ROUNDS'] ?? 10));
/** Messages published but not yet received, at most (core NATS has no flow control of its own). */
const WINDOW = 10_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench:soak does)');

function heapMb(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function report(label: string, unit: string, total: number, samples: [number, number][], seconds: number): void {
  console.log(`\n${label}: ${total.toLocaleString('en-US')} ${unit} in ${seconds.toFixed(1)} s`);
  console.log(`| after ${unit} | heap used after gc (MB) |`);
  console.log('|---:|---:|');
  for (const [x, y] of samples) console.log(`| ${x.toLocaleString('en-US')} | ${y.toFixed(2)} |`);
  const kb = (points: [number, number][]) => {
    const v = slope(points) * 100_000 * 1024;
    return `${v >= 0 ? '+' : ''}${v.toFixed(1)} KB`;
  };
  const first = samples[0]![1];
  const last = samples.at(-1)![1];
  console.log(
    `first ${first.toFixed(2)} MB, last ${last.toFixed(2)} MB; least-squares slope per 100,000 ${unit}: ` +
      `${kb(samples.slice(1))} after the first round (warm-up excluded), ${kb(samples)} over all samples`,
  );
}

process.env['LOG_LEVEL'] ??= 'warn';
process.env['OTEL_BSP_MAX_QUEUE_SIZE'] ??= '100000';
process.env['OTEL_BSP_SCHEDULE_DELAY'] ??= '200';
const sink = await startDiscardingSink();
const obs = initObservability({
  serviceName: 'soak',
  tracesExporter: 'otlp',
  metricsExporter: 'none',
  otlpEndpoint: sink.endpoint,
  handleSignals: false,
});
console.log(
  `node ${process.version}, tracing 100% to a discarding OTLP sink, ${MESSAGES.toLocaleString('en-US')} messages and ${REQUESTS.toLocaleString('en-US')} requests, ${ROUNDS} rounds each`,
);

// --- 1. natsbus -------------------------------------------------------------------------------
{
  await using server = await startNatsServer();
  const publisher = await createBus({
    servers: server.url,
    source: '/soak',
    closeOnShutdown: false,
  });
  const subscriber = await createBus({
    servers: server.url,
    source: '/soak-sub',
    closeOnShutdown: false,
  });
  let received = 0;
  let wake: (() => void) | undefined;
  subscriber.subscribe('soak.orders', () => {
    received++;
    if (wake !== undefined) {
      const w = wake;
      wake = undefined;
      w();
    }
  });
  await subscriber.flush();
  const payload = {
    orderId: 0,
    customer: 'c-42',
    items: [{ sku: 'A-1', qty: 2 }],
    total: 19.99,
  };
  const perRound = Math.ceil(MESSAGES / ROUNDS);
  const samples: [number, number][] = [[0, heapMb()]];
  const started = performance.now();
  let published = 0;
  let queuedAtSample = 0;
  for (let round = 0; round < ROUNDS && published < MESSAGES; round++) {
    const end = Math.min(MESSAGES, published + perRound);
    while (published < end) {
      if (published - received >= WINDOW) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      payload.orderId = published;
      await publisher.publish('soak.orders', {
        type: 'order.created',
        data: payload,
      });
      published++;
    }
    await publisher.flush();
    while (received < published) await yieldTurn();
    // spans still queued for export are not a leak: measure once the exporter has caught up
    queuedAtSample = Math.max(queuedAtSample, obs.tracingHealth().queued);
    await obs.forceFlush();
    samples.push([published, heapMb()]);
  }
  const seconds = (performance.now() - started) / 1000;
  report('natsbus publish + subscribe', 'messages', published, samples, seconds);
  console.log(
    `${Math.round(published / seconds).toLocaleString('en-US')} msg/s end to end, received ${received.toLocaleString('en-US')} of ${published.toLocaleString('en-US')}, ` +
      `at most ${queuedAtSample.toLocaleString('en-US')} spans waiting for export at a round's end (flushed before each sample)`,
  );
  await subscriber.close();
  await publisher.close();
}
const afterNats = obs.tracingHealth();
console.log(`spans so far: exported ${afterNats.exported}, dropped ${afterNats.dropped}, failed ${afterNats.failed}`);

// --- 2. httpkit -------------------------------------------------------------------------------
{
  const app = createApp();
  app.get('/users/:id', (req, res) => {
    res.json({
      id: req.params['id'],
      name: 'Ada Lovelace',
      roles: ['admin', 'author'],
    });
  });
  const server = await listen(app, {
    host: '127.0.0.1',
    port: 0,
    closeOnShutdown: false,
  });
  const { port } = server.server.address() as AddressInfo;
  const perRound = Math.ceil(REQUESTS / ROUNDS);
  const samples: [number, number][] = [[0, heapMb()]];
  const started = performance.now();
  let done = 0;
  let errors = 0;
  let non2xx = 0;
  for (let round = 0; round < ROUNDS && done < REQUESTS; round++) {
    const amount = Math.min(perRound, REQUESTS - done);
    const result = await autocannon({
      url: `http://127.0.0.1:${port}/users/42`,
      connections: 10,
      amount,
    });
    done += result.requests.total;
    errors += result.errors + result.timeouts;
    non2xx += result.non2xx;
    await obs.forceFlush();
    samples.push([done, heapMb()]);
  }
  const seconds = (performance.now() - started) / 1000;
  report('httpkit createApp', 'requests', done, samples, seconds);
  console.log(
    `${Math.round(done / seconds).toLocaleString('en-US')} req/s (autocannon in the same process), errors ${errors}, non-2xx ${non2xx}`,
  );
  await server.close();
}

const health = obs.tracingHealth();
console.log(
  `\nspans: exported ${health.exported.toLocaleString('en-US')}, dropped ${health.dropped}, failed ${health.failed}`,
);
await obs.shutdown();
await sink.close();
await new Promise((resolve) => setTimeout(resolve, 100));
console.log(`open handles at the end: ${JSON.stringify(process.getActiveResourcesInfo())}`);
