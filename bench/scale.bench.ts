// npm run bench:scale — natsbus throughput with 1, 2 and 4 consumer processes in one queue group
// (`subscribe(..., { queue: 'workers' })`) against a 3-node nats-server cluster started here. The
// publisher (this process) talks to node 0, consumer k to node (k + 1) % 3, so messages cross the
// cluster routes. Two handlers: `noop` (CPU-bound: bus + tracing cost only) and `io` (awaits ~1 ms,
// like a handler calling a database). Throughput = messages / (first publish → last message
// handled). Tracing on in every process, sampled at SCALE_SAMPLE_RATIO (default 0.01), spans
// exported over OTLP/HTTP protobuf to a local discarding sink.
// JetStream rows: the same processes share one durable pull consumer of an R3 stream (the JetStream
// form of a queue group); the stream is filled first (not timed) and the time runs from the start of
// the consumers to the last message handled.
// SCALE_MESSAGES (default 100000, core noop), SCALE_IO_MESSAGES (default 20000, io) and
// SCALE_JS_MESSAGES (default 50000, JetStream noop) per run; SCALE_SOURCES=core or jetstream for one half.
import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { initObservability } from '@service-runtime/observability';
import { createBus } from '@service-runtime/natsbus';
import { startNatsCluster } from '../test/helpers/nats-cluster.ts';
import { startDiscardingSink } from './nats-sink.ts';

const NOOP_MESSAGES = Number(process.env['SCALE_MESSAGES'] ?? 100_000);
const IO_MESSAGES = Number(process.env['SCALE_IO_MESSAGES'] ?? 20_000);
const JS_MESSAGES = Number(process.env['SCALE_JS_MESSAGES'] ?? 50_000);
const RATIO = process.env['SCALE_SAMPLE_RATIO'] ?? '0.01';
const CONSUMERS = [1, 2, 4];
const child = fileURLToPath(new URL('./scale-child.ts', import.meta.url));

const sink = await startDiscardingSink();
Object.assign(process.env, {
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
  OTEL_TRACES_SAMPLER_ARG: RATIO,
  OTEL_BSP_MAX_QUEUE_SIZE: '100000',
  OTEL_BSP_SCHEDULE_DELAY: '200',
  LOG_LEVEL: 'warn',
});
const obs = initObservability({ serviceName: 'scale-publisher', handleSignals: false });
await using cluster = await startNatsCluster();
const publisher = await createBus({ servers: cluster.urls[0]!, source: '/scale', closeOnShutdown: false });

function ask<T>(proc: ChildProcess, message: string, key: keyof T): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (reply: T) => {
      if (reply[key] === undefined) return;
      proc.off('message', onMessage);
      resolve(reply);
    };
    proc.on('message', onMessage);
    proc.send(message);
  });
}

type Source = 'core' | 'jetstream';

/** Fills the R3 stream SCALE with `total` events (64 publishes in flight) and a fresh durable. */
async function fillStream(total: number): Promise<void> {
  const jsm = await jetstreamManager(publisher.connection);
  await jsm.streams.delete('SCALE').catch(() => undefined);
  await publisher.ensureStream({ name: 'SCALE', subjects: ['scale.js'], replicas: 3 });
  const payload = { orderId: 0, customer: 'c-42', items: [{ sku: 'A-1', qty: 2 }], total: 19.99 };
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      await publisher.publish(
        'scale.js',
        { type: 'order.created', data: { ...payload, orderId: i } },
        { jetstream: true },
      );
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  // the durable exists before the consumers start, as natsbus would create it (explicit ack, no limit)
  await jsm.consumers.add('SCALE', {
    durable_name: 'workers',
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(40_000),
    max_deliver: -1,
  });
}

async function run(consumers: number, work: 'noop' | 'io', total: number, source: Source) {
  if (source === 'jetstream') await fillStream(total);
  const procs = Array.from({ length: consumers }, (_, k) =>
    fork(child, [cluster.urls[(k + 1) % cluster.urls.length]!, work, source], {
      execArgv: ['--disable-warning=ExperimentalWarning', '--conditions=source'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  await Promise.all(
    procs.map(
      (p) => new Promise<void>((resolve) => p.once('message', (m: { ready?: boolean }) => m.ready && resolve())),
    ),
  );
  const counts = async () =>
    (await Promise.all(procs.map((p) => ask<{ count: number }>(p, 'count', 'count')))).map((r) => r.count);
  let started: number;
  if (source === 'jetstream') {
    started = performance.now();
    await Promise.all(procs.map((p) => ask<{ going: boolean }>(p, 'go', 'going')));
  } else {
    // the queue group has to be known on the publisher's node before the first message
    await new Promise((resolve) => setTimeout(resolve, 500));
    const payload = { orderId: 0, customer: 'c-42', items: [{ sku: 'A-1', qty: 2 }], total: 19.99 };
    started = performance.now();
    for (let i = 0; i < total; i++) {
      payload.orderId = i;
      await publisher.publish('scale.work', { type: 'order.created', data: payload });
      if (i % 5000 === 4999) await publisher.flush();
    }
  }
  await publisher.flush();
  let per = await counts();
  const deadline = Date.now() + 180_000;
  let last = -1;
  let stalledSince = Date.now();
  while (per.reduce((a, b) => a + b, 0) < total && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    per = await counts();
    const sum = per.reduce((a, b) => a + b, 0);
    if (sum !== last) {
      last = sum;
      stalledSince = Date.now();
    } else if (Date.now() - stalledSince > 10_000) break; // lost messages (core NATS is at-most-once)
  }
  const seconds = (performance.now() - started) / 1000;
  const received = per.reduce((a, b) => a + b, 0);
  await Promise.all(
    procs.map((p) => new Promise<void>((resolve) => (p.once('exit', () => resolve()), p.send('stop')))),
  );
  return { consumers, work, source, total, received, seconds, per, rate: received / seconds };
}

console.log(
  `3-node nats-server cluster (JetStream on), node ${process.version}, ${availableParallelism()} CPUs, sampling ${RATIO}`,
);
const rows: Awaited<ReturnType<typeof run>>[] = [];
const plan: [Source, 'noop' | 'io', number][] = [
  ['core', 'noop', NOOP_MESSAGES],
  ['core', 'io', IO_MESSAGES],
  ['jetstream', 'noop', JS_MESSAGES],
  ['jetstream', 'io', IO_MESSAGES],
];
const sources = (process.env['SCALE_SOURCES'] ?? 'core,jetstream').split(',');
for (const [source, work, total] of plan.filter(([source]) => sources.includes(source))) {
  for (const consumers of CONSUMERS) {
    const r = await run(consumers, work, total, source);
    rows.push(r);
    console.error(`${source} ${work} × ${consumers}: ${Math.round(r.rate)} msg/s (${r.per.join(' / ')})`);
  }
}
console.log('\n| source | handler | consumer processes | messages | handled | msg/s | vs 1 process | per process |');
console.log('|---|---|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  const base = rows.find((b) => b.source === r.source && b.work === r.work && b.consumers === 1)!.rate;
  const label = r.source === 'core' ? 'core queue group' : 'JetStream shared durable (R3)';
  console.log(
    `| ${label} | ${r.work} | ${r.consumers} | ${r.total.toLocaleString('en-US')} | ${r.received.toLocaleString('en-US')} | ${Math.round(r.rate).toLocaleString('en-US')} | ${(r.rate / base).toFixed(2)}× | ${r.per.join(' / ')} |`,
  );
}
await publisher.close();
await obs.shutdown();
await sink.close();
