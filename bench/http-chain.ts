/**
 * `node --conditions=source bench/http-chain.ts`: the CPU one request costs in bare Express and in
 * createApp's default chain, measured in process without sockets or a load generator, so the figures
 * hold still on a busy 2-core machine (autocannon's `bench:http` moves by ±20 %). Each variant runs
 * in its own child process (the OpenTelemetry globals are per process) and drives the app with
 * Node's own IncomingMessage/ServerResponse over a stream that discards what is written; traced
 * variants export OTLP http/protobuf to a local sink. Variants alternate round by round (load drifts); prints the best of 5
 * rounds in µs of CPU per request and what each variant adds over bare Express. About 30 seconds.
 * BENCH_CHAIN_METRICS_AB=1 adds the off/no-log variant with the duration metric recorded through the
 * SDK's API histogram (a plain SDK meter provider, so the bound histogram falls back to it): the A/B
 * of the bound instruments per request.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Express, Request, Response } from 'express';

const ROUNDS = 5;
const PER_ROUND = Number(process.env['BENCH_CHAIN_REQUESTS'] ?? 20_000);
// BENCH_CPU_PROF_DIR=dir: each variant's child writes a V8 CPU profile there (node --cpu-prof).
const profileDir = process.env['BENCH_CPU_PROF_DIR'];
const profileFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
const WARMUP = 20_000;
const CONCURRENCY = 50;

interface Variant {
  label: string;
  env: Record<string, string>;
}

function handler(req: Request, res: Response): void {
  res.json({ id: req.params['id'], name: 'Ada Lovelace', roles: ['admin', 'author'] });
}

// Child: build one variant's app, drive it, report the best round over IPC.
async function measure(): Promise<void> {
  const express = (await import('express')).default;
  let app: Express;
  if (process.env['BENCH_CHAIN_KIND'] === 'bare') {
    app = express();
    app.get('/users/:id', handler);
  } else {
    const { initObservability } = await import('@service-runtime/observability');
    initObservability({ serviceName: 'bench-chain', handleSignals: false });
    if (process.env['BENCH_CHAIN_METRICS_VIA_API'] === '1') await useSdkMeterProvider();
    const { createApp, listen } = await import('@service-runtime/httpkit');
    app = createApp(JSON.parse(process.env['BENCH_APP_OPTIONS'] ?? '{}'));
    app.get('/users/:id', handler);
    // listen mounts the 404 and error handlers, as in a real service; the socket is not used.
    await (await listen(app, { host: '127.0.0.1', closeOnShutdown: false })).close();
  }
  const sockets = Array.from({ length: CONCURRENCY }, () => new DiscardingSocket());
  const one = (socket: DiscardingSocket) =>
    new Promise<void>((resolve) => {
      const req = new IncomingMessage(socket as never);
      Object.assign(req, {
        method: 'GET',
        url: '/users/42',
        httpVersion: '1.1',
        httpVersionMajor: 1,
        httpVersionMinor: 1,
        complete: true,
        headers: { host: 'localhost:3000', 'user-agent': 'bench', connection: 'keep-alive' },
      });
      req.push(null);
      const res = new ServerResponse(req);
      res.assignSocket(socket as never);
      res.once('finish', () => {
        res.detachSocket(socket as never);
        res.emit('close');
        resolve();
      });
      app(req as Request, res as Response);
    });
  // Like `-c 50` over keep-alive: a batch of requests per event-loop turn, then the next batch.
  const batch = async () => {
    await Promise.all(sockets.map(one));
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
  for (let i = 0; i < WARMUP / CONCURRENCY; i++) await batch();
  // One round per 'round' message, so the parent can alternate variants (load drifts over time).
  process.on('message', async () => {
    const before = process.cpuUsage();
    for (let i = 0; i < PER_ROUND / CONCURRENCY; i++) await batch();
    const used = process.cpuUsage(before);
    process.send?.({ micros: (used.user + used.system) / PER_ROUND });
  });
  process.send?.({ ready: true });
}

// A meter provider observability did not build: httpkit's bound histogram records through its API.
async function useSdkMeterProvider(): Promise<void> {
  const { metrics } = await import('@opentelemetry/api');
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
  const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
  metrics.disable();
  metrics.setGlobalMeterProvider(
    new MeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] }),
  );
}

class DiscardingSocket extends Duplex {
  readonly remoteAddress = '127.0.0.1';
  readonly localPort = 3000;
  override _read(): void {}
  override _write(_chunk: unknown, _encoding: BufferEncoding, done: () => void): void {
    done();
  }
  setTimeout(): this {
    return this;
  }
}

function reply(child: ChildProcess, key: 'ready' | 'micros', label: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${label} exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (message: Record<string, number>) => {
      child.off('exit', onExit);
      resolve(message[key] ?? Number.NaN);
    });
  });
}

async function main(): Promise<void> {
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const traced = {
    BENCH_CHAIN_KIND: 'httpkit',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
    OTEL_METRICS_EXPORTER: 'prometheus',
    LOG_LEVEL: 'info',
  };
  const on = { ...traced, OTEL_TRACES_SAMPLER: 'always_on' };
  const off = { ...traced, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' };
  const noLog = { BENCH_APP_OPTIONS: JSON.stringify({ accessLog: false }) };
  const bareChain = { BENCH_APP_OPTIONS: JSON.stringify({ accessLog: false, metrics: false }) };
  const variants: Variant[] = [
    { label: 'bare Express', env: { BENCH_CHAIN_KIND: 'bare' } },
    { label: 'createApp, 100% sampled', env: on },
    { label: 'createApp, sampled off', env: off },
    { label: 'createApp, 100%, no access log', env: { ...on, ...noLog } },
    { label: 'createApp, off, no access log', env: { ...off, ...noLog } },
    { label: 'createApp, off, no log, no metrics', env: { ...off, ...bareChain } },
    {
      label: 'createApp, SDK disabled, no log/metrics',
      env: { ...bareChain, BENCH_CHAIN_KIND: 'httpkit', OTEL_SDK_DISABLED: 'true' },
    },
  ];
  if (process.env['BENCH_CHAIN_METRICS_AB'] === '1') {
    variants.push({
      label: 'createApp, off, no access log, SDK API histogram',
      env: { ...off, ...noLog, BENCH_CHAIN_METRICS_VIA_API: '1' },
    });
  }
  const self = fileURLToPath(import.meta.url);
  const children: ChildProcess[] = [];
  const results: number[] = variants.map(() => Number.POSITIVE_INFINITY);
  try {
    for (const variant of variants) {
      const child = fork(self, ['child'], {
        execPath: process.execPath,
        execArgv: ['--conditions=source', '--disable-warning=ExperimentalWarning', ...profileFlags],
        env: { ...process.env, ...variant.env },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      children.push(child);
      await reply(child, 'ready', variant.label);
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [i, child] of children.entries()) {
        child.send('round');
        results[i] = Math.min(results[i]!, await reply(child, 'micros', variants[i]!.label));
      }
      console.log(`round ${round}: ${results.map((r) => r.toFixed(2)).join(' ')}`);
    }
  } finally {
    // disconnecting lets each child exit on its own (and write its CPU profile when asked to)
    for (const child of children) child.disconnect();
    sink.close();
    sink.closeAllConnections();
  }
  const bare = results[0]!;
  console.log(`\nin process, best of ${ROUNDS} × ${PER_ROUND} requests, GET /users/:id, node ${process.version}`);
  console.table(
    variants.map((variant, i) => ({
      variant: variant.label,
      'CPU µs/req': Math.round(results[i]! * 100) / 100,
      'added µs': Math.round((results[i]! - bare) * 100) / 100,
      'vs bare': `${(bare / results[i]!).toFixed(2)}×`,
    })),
  );
  const addedOn = results[1]! - bare;
  const addedOff = results[2]! - bare;
  console.log(
    `target 100% ≤ 6 µs added: ${addedOn.toFixed(2)} ${addedOn <= 6 ? 'met' : 'NOT met'}; ` +
      `sampled off ≤ 2 µs added: ${addedOff.toFixed(2)} ${addedOff <= 2 ? 'met' : 'NOT met'}`,
  );
}

if (process.argv[2] === 'child') {
  process.on('disconnect', () => process.exit(0));
  await measure();
} else await main();
