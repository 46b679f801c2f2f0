/**
 * `npm run bench:nats-path`: the CPU natsbus itself costs per message, publish and receive, in
 * process on a stub connection: no socket, no nats-server, no nats.js parser, so what is left is
 * natsbus, the tracing SDK, the OTLP export (to a local discarding sink) and the JSON of the envelope.
 * The stub hands each published message (header block + body, as nats.js would deliver it) straight
 * to the subscription. Variants (100% and 1% sampling, and no SDK: the API's no-op tracer) each run
 * in their own child process (OpenTelemetry globals are per process) and alternate round by round;
 * prints the best of BENCH_PATH_ROUNDS (default 7) in µs of CPU per message, for publish alone and
 * for publish + receive. BENCH_PATH_MESSAGES per round (default 50000).
 * BENCH_CPU_PROF_DIR=dir: each child writes a V8 CPU profile there (node --cpu-prof).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BENCH_PAYLOAD, benchSpanEnv } from './nats-setup.ts';
import { startDiscardingSink } from './nats-sink.ts';

const ROUNDS = Number(process.env['BENCH_PATH_ROUNDS'] ?? 7);
const PER_ROUND = Number(process.env['BENCH_PATH_MESSAGES'] ?? 50_000);
const profileDir = process.env['BENCH_CPU_PROF_DIR'];
const SUBJECT = 'bench.orders';

interface Round {
  publish: number;
  both: number;
}

// Child: one bus pair on the stub connection; answers each 'round' with CPU µs per message.
async function child(): Promise<void> {
  const { MsgImpl } = await import('@nats-io/nats-core/internal');
  const { initObservability } = await import('@service-runtime/observability');
  const { createBus } = await import('@service-runtime/natsbus');
  const otel = process.env['BENCH_PATH_SDK'] === 'off' ? undefined : initObservability({ handleSignals: false });
  const delivered: unknown[] = [];
  let deliver: ((error: null, msg: unknown) => void) | undefined;
  const subject = Buffer.from(SUBJECT);
  const stub = {
    info: { max_payload: 1024 * 1024 },
    isClosed: () => false,
    getServer: () => '127.0.0.1:4222',
    status: () => ({ [Symbol.asyncIterator]: () => ({ next: () => new Promise<never>(() => undefined) }) }),
    flush: async () => undefined,
    publish(_subject: string, body: Uint8Array, options?: { headers?: { encode(): Uint8Array } }) {
      const block = options?.headers?.encode();
      const data = block === undefined ? body : Buffer.concat([block, body]);
      const arg = { subject, sid: 1, hdr: block?.length ?? -1, size: data.length };
      delivered.push(new MsgImpl(arg as never, data, {} as never));
    },
    subscribe(_subject: string, options: { callback: (error: null, msg: unknown) => void }) {
      deliver = options.callback;
      return { unsubscribe: () => undefined, drain: async () => undefined, isClosed: () => false };
    },
  };
  const publisher = await createBus({ connection: stub as never, source: '/bench', closeOnShutdown: false });
  const consumer = await createBus({ connection: stub as never, source: '/bench-consumer', closeOnShutdown: false });
  let received = 0;
  consumer.subscribe(SUBJECT, () => void received++);
  const run = async (n: number, receive: boolean): Promise<number> => {
    const cpu = process.cpuUsage();
    let pending: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      pending.push(publisher.publish(SUBJECT, { type: 'order.created', data: BENCH_PAYLOAD }));
      if (receive) for (const msg of delivered.splice(0)) deliver!(null, msg);
      else delivered.length = 0;
      if (i % 1000 === 999) {
        await Promise.all(pending);
        pending = [];
      }
    }
    await Promise.all(pending);
    await otel?.forceFlush();
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / n;
  };
  await run(20_000, true);
  process.on('message', (message) => {
    if (message === 'round') {
      void (async () => {
        const round: Round = { publish: await run(PER_ROUND, false), both: await run(PER_ROUND, true) };
        process.send!(round);
      })();
    } else if (message === 'stop') {
      void (async () => {
        await otel?.shutdown();
        if (received === 0) throw new Error('nothing was received');
        process.exit(0);
      })();
    }
  });
  process.send!('ready');
}

async function parent(): Promise<void> {
  const sink = await startDiscardingSink();
  const base = { ...benchSpanEnv(sink.endpoint), OTEL_SERVICE_NAME: 'bench-nats-path', BENCH_PATH_CHILD: '1' };
  const variants: { label: string; env: Record<string, string> }[] = [
    { label: 'natsbus, 100% sampling', env: { OTEL_TRACES_SAMPLER: 'parentbased_always_on' } },
    {
      label: 'natsbus, 1% sampling',
      env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' },
    },
    { label: 'natsbus, no SDK (API no-op tracer)', env: { BENCH_PATH_SDK: 'off' } },
  ];
  const self = fileURLToPath(import.meta.url);
  const children: ChildProcess[] = [];
  for (const v of variants) {
    const proc = fork(self, [], {
      env: { ...process.env, ...base, ...v.env },
      execArgv: [
        '--disable-warning=ExperimentalWarning',
        '--conditions=source',
        ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      ],
    });
    await new Promise<void>((resolve) => proc.once('message', () => resolve()));
    children.push(proc);
  }
  const best = variants.map(() => ({ publish: Number.POSITIVE_INFINITY, both: Number.POSITIVE_INFINITY }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, proc] of children.entries()) {
      proc.send('round');
      const r = await new Promise<Round>((resolve) => proc.once('message', (m) => resolve(m as Round)));
      best[i] = { publish: Math.min(best[i]!.publish, r.publish), both: Math.min(best[i]!.both, r.both) };
    }
  }
  for (const proc of children) {
    proc.send('stop');
    await new Promise((resolve) => proc.once('exit', resolve));
  }
  await sink.close();
  console.log(`\nnatsbus in process on a stub connection, ${PER_ROUND} messages per round, best of ${ROUNDS}\n`);
  console.log('| variant | publish CPU µs/msg | publish + receive CPU µs/msg |');
  console.log('|---|---:|---:|');
  for (const [i, v] of variants.entries()) {
    console.log(`| ${v.label} | ${best[i]!.publish.toFixed(2)} | ${best[i]!.both.toFixed(2)} |`);
  }
}

await (process.env['BENCH_PATH_CHILD'] === '1' ? child() : parent());
