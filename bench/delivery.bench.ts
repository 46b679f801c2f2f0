// npm run bench:delivery — natsbus delivery under load against a local nats-server (JetStream on),
// each subscriber in its own process whose RSS is sampled every 20 ms:
//   core flood: a publisher sends as fast as it can to one subscriber whose async handler is slow
//     (the cases: 60,000 × 4 KB with a 2 ms handler, 150,000 × 1 KB with a 20 ms handler);
//     default bounds (1000 messages / 8 MiB waiting). Reports RSS before / peak / after, handled,
//     dropped (counted as slow_consumer), and that every message is one or the other.
//   JetStream: 60 messages × 250 ms with timeoutMs 1000 (handler calls, redeliveries), and
//     DELIVERY_JS_MESSAGES (default 5000) × 1 ms at concurrency 1 and 8 (msg/s, redeliveries).
// Nothing here is asserted; tests assert behaviour, this prints figures.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createBus } from '@service-runtime/natsbus';
import { startNatsServer } from '../test/helpers/nats-server.ts';

const JS_MESSAGES = Number(process.env['DELIVERY_JS_MESSAGES'] ?? 5000);
const child = fileURLToPath(new URL('./delivery-child.ts', import.meta.url));
Object.assign(process.env, { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', LOG_LEVEL: 'error' });

interface Status {
  calls: number;
  distinct: number;
  handled: number;
  dropped: number;
  pending: number;
  running: number;
  rssBefore: number;
  rssPeak: number;
  rss: number;
}

function ask(proc: ChildProcess): Promise<Status> {
  return new Promise((resolve) => {
    const onMessage = (reply: Status & { status?: boolean }) => {
      if (reply.status !== true) return;
      proc.off('message', onMessage);
      resolve(reply);
    };
    proc.on('message', onMessage);
    proc.send('status');
  });
}

async function start(args: string[]): Promise<ChildProcess> {
  const proc = fork(child, args, {
    execArgv: ['--expose-gc', '--disable-warning=ExperimentalWarning', '--conditions=source'],
  });
  await new Promise<void>((resolve) => proc.once('message', () => resolve()));
  return proc;
}

async function stop(proc: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.send('stop');
  await exited;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
await using server = await startNatsServer({ jetstream: true });
const rows: string[] = [];

for (const [count, size, handlerMs] of [
  [60_000, 4096, 2],
  [150_000, 1024, 20],
] as const) {
  const subject = `flood.${count}`;
  const proc = await start([server.url, 'core', String(handlerMs), subject]);
  const nc = await connect({ servers: server.url });
  const body = JSON.stringify({ specversion: '1.0', id: 'x', source: '/flood', type: 'flood', data: 'x'.repeat(size) });
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    nc.publish(subject, body);
    if (i % 1000 === 999) await nc.flush();
  }
  await nc.flush();
  const published = (performance.now() - started) / 1000;
  let status = await ask(proc);
  await until(async () => {
    status = await ask(proc);
    return status.handled + status.dropped === count && status.running === 0;
  }, 120_000);
  await nc.close();
  await stop(proc);
  rows.push(
    `| core, ${count.toLocaleString('en')} × ${size / 1024} KB, ${handlerMs} ms handler | ${published.toFixed(1)} s | ` +
      `${mb(status.rssBefore)} / ${mb(status.rssPeak)} / ${mb(status.rss)} MB | ${status.handled.toLocaleString('en')} | ` +
      `${status.dropped.toLocaleString('en')} | - |`,
  );
  console.log(rows.at(-1));
}

const bus = await createBus({ servers: server.url, source: '/delivery-bench', closeOnShutdown: false });
const jsm = await jetstreamManager(bus.connection);
let streams = 0;
for (const [count, handlerMs, timeoutMs, concurrency] of [
  [60, 250, 1000, 1],
  [JS_MESSAGES, 1, 30_000, 1],
  [JS_MESSAGES, 1, 30_000, 8],
] as const) {
  const stream = `DELIVERY${++streams}`;
  await bus.ensureStream({ name: stream, subjects: [`delivery${streams}.>`], storage: 'memory' });
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, () =>
        bus.publish(`delivery${streams}.job`, { type: 'job' }, { jetstream: true }),
      ),
    );
  }
  const started = performance.now();
  const proc = await start([
    server.url,
    'jetstream',
    String(handlerMs),
    stream,
    'worker',
    String(timeoutMs),
    String(concurrency),
  ]);
  let status = await ask(proc);
  await until(async () => {
    status = await ask(proc);
    const info = await jsm.consumers.info(stream, 'worker');
    return status.distinct === count && info.num_ack_pending === 0 && info.num_pending === 0;
  }, 300_000);
  const seconds = (performance.now() - started) / 1000;
  const info = await jsm.consumers.info(stream, 'worker');
  await stop(proc);
  rows.push(
    `| JetStream, ${count.toLocaleString('en')} × ${handlerMs} ms, timeoutMs ${timeoutMs}, concurrency ${concurrency} | ` +
      `${seconds.toFixed(1)} s (${Math.round(count / seconds).toLocaleString('en')} msg/s) | ` +
      `${mb(status.rssBefore)} / ${mb(status.rssPeak)} / ${mb(status.rss)} MB | ${status.calls.toLocaleString('en')} handler calls | 0 | ` +
      `${info.num_redelivered} |`,
  );
  console.log(rows.at(-1));
}
await bus.close();

console.log(`\nnats-server ${server.url}, node ${process.version}\n`);
console.log(
  '| run | publish time (core) / run time (JetStream) | RSS before / peak / after | handled | dropped | redelivered |',
);
console.log('|---|---|---|---:|---:|---:|');
for (const row of rows) console.log(row);
