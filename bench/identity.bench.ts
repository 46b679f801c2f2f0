/**
 * `npm run bench:identity`: the cost of identityclient against a real oidc-provider on loopback.
 *  1. cache-hit `introspect` cost (CPU µs/op, so other load on the machine does not count) without and
 *     with the SDK, and the warm `requireAuth` middleware alone (CPU µs/op, called directly in-process);
 *  2. cold introspection latency against oidc-provider (one traced upstream call each);
 *  3. upstream calls for 1,000 concurrent introspections of one cold token (target exactly 1);
 *  4. a flood of 20,000 made-up tokens while 100 valid ones are in use (bench/identity-flood.ts): upstream
 *     calls it costs, valid requests sent upstream (target 0), cache-hit cost after it;
 *  5. `requireAuth` throughput with a warm cache vs the same route without auth (target >= 0.8x).
 * Row 5 runs the Express server in a child process (this file with argv `server`), both routes in the
 * same process with the same tracing (a SERVER span per request, OTLP http/protobuf to a discarding
 * sink), measured by autocannon in alternating rounds. Bounded: about a minute and a half.
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { cpuMicrosPerOp } from './cpu-time.ts';

const CONNECTIONS = 50;
const WARMUP_SECONDS = 3;
const ROUND_SECONDS = Number(process.env['BENCH_ROUND_SECONDS'] ?? 6);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 4);
const HIT_OPS = 200_000;
const COLD_CALLS = 200;

if (process.argv[2] === 'server') await serve();
else await main();

/** Parent: identity provider, OTLP sink, the micro rows, then autocannon against the child. */
async function main(): Promise<void> {
  const { startIdentityProvider } = await import('../test/helpers/identity-provider.ts');
  const { createIdentityClient, requireAuth } = await import('@service-runtime/identityclient');
  const { createLogger } = await import('@service-runtime/observability');
  // autocannon ships no type declarations.
  const autocannon = (await import('autocannon' as string)).default as (options: Record<string, unknown>) => Promise<{
    requests: { average: number };
    errors: number;
    non2xx: number;
    timeouts: number;
  }>;

  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const otlpEndpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  await using provider = await startIdentityProvider();
  const credentials = {
    introspectionUrl: provider.introspectionUrl,
    clientId: provider.introspectionClient.clientId,
    clientSecret: provider.introspectionClient.clientSecret,
    logger: createLogger({ level: 'warn' }),
  };
  const rows: Record<string, string>[] = [];

  // 1. cache hits
  const hitCost = async () => {
    const identity = createIdentityClient(credentials);
    const token = await provider.mintToken({ scope: 'orders:read' });
    await identity.introspect(token);
    for (let i = 0; i < 20_000; i++) await identity.introspect(token);
    return cpuMicrosPerOp(HIT_OPS, async () => {
      for (let i = 0; i < HIT_OPS; i++) await identity.introspect(token);
    });
  };
  const hitNoop = await hitCost();
  Object.assign(process.env, {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
    OTEL_METRICS_EXPORTER: 'none',
    LOG_LEVEL: 'warn',
  });
  const { initObservability } = await import('@service-runtime/observability');
  const obs = initObservability({ serviceName: 'bench-identity', handleSignals: false });
  const hitTraced = await hitCost();
  rows.push({
    measure: 'cache-hit introspect, no SDK',
    value: `${hitNoop.toFixed(2)} µs CPU/op`,
    target: 'anchors: no cache (Kong/openid-client) = 1 HTTP call per request',
  });
  rows.push({
    measure: 'cache-hit introspect, SDK installed (OTLP exporter)',
    value: `${hitTraced.toFixed(2)} µs CPU/op`,
    target: '',
  });
  const middleware = await middlewareCost();
  rows.push({
    measure: 'requireAuth middleware alone, warm cache',
    value: `${middleware.toFixed(2)} µs CPU/op`,
    target: '',
  });

  async function middlewareCost(): Promise<number> {
    const identity = createIdentityClient(credentials);
    const token = await provider.mintToken({ scope: 'orders:read' });
    await identity.introspect(token);
    const guard = requireAuth(identity, { scopes: ['orders:read'] });
    const req = { headers: { authorization: `Bearer ${token}` } } as never;
    const loop = (count: number) =>
      new Promise<void>((resolve, reject) => {
        let done = 0;
        const next = (error?: unknown) => {
          if (error) reject(error);
          else if (++done < count) guard(req, {} as never, next);
          else resolve();
        };
        guard(req, {} as never, next);
      });
    await loop(20_000);
    return cpuMicrosPerOp(HIT_OPS, () => loop(HIT_OPS));
  }

  // 2. cold introspections: one upstream call each
  const coldClient = createIdentityClient(credentials);
  const tokens: string[] = [];
  for (let i = 0; i < COLD_CALLS; i++) tokens.push(await provider.mintToken({ scope: 'orders:read' }));
  const latencies: number[] = [];
  for (const token of tokens) {
    const start = performance.now();
    await coldClient.introspect(token);
    latencies.push(performance.now() - start);
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  rows.push({
    measure: `cold introspect vs oidc-provider (${COLD_CALLS} calls)`,
    value: `p50 ${pct(50).toFixed(2)} ms, p99 ${pct(99).toFixed(2)} ms`,
    target: '',
  });

  // 3. single-flight
  const flightClient = createIdentityClient(credentials);
  const cold = await provider.mintToken({ scope: 'orders:read' });
  const before = provider.received.length;
  const answers = await Promise.all(Array.from({ length: 1000 }, () => flightClient.introspect(cold)));
  const upstream = provider.received.length - before;
  const allActive = answers.every((answer) => answer.active);
  rows.push({
    measure: '1,000 concurrent introspections of one cold token',
    value: `${upstream} upstream call${upstream === 1 ? '' : 's'}${allActive ? '' : ' (NOT all active!)'}`,
    target: 'exactly 1 (anchors: 1,000)',
  });

  // 4. token flood
  const { tokenFloodRows } = await import('./identity-flood.ts');
  rows.push(
    ...(await tokenFloodRows(createIdentityClient, credentials, () => provider.mintToken({ scope: 'orders:read' }))),
  );

  // 5. requireAuth throughput
  const token = await provider.mintToken({ scope: 'orders:read' });
  const child = fork(fileURLToPath(import.meta.url), ['server'], {
    execPath: process.execPath,
    execArgv: ['--conditions=source', '--disable-warning=ExperimentalWarning'],
    env: {
      ...process.env,
      BENCH_IDENTITY: JSON.stringify({ ...credentials, logger: undefined, token }),
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bench server did not start')), 30_000);
      child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
      child.on('message', (message: { port?: number }) => {
        if (message.port === undefined) return;
        clearTimeout(timer);
        resolve(message.port);
      });
    });
    const routes = [
      { label: 'GET /open (no auth)', path: '/open' },
      { label: 'GET /guarded (requireAuth, warm cache)', path: '/guarded' },
    ];
    const run = (path: string, seconds: number) =>
      autocannon({
        url: `http://127.0.0.1:${port}${path}`,
        connections: CONNECTIONS,
        duration: seconds,
        headers: { authorization: `Bearer ${token}` },
      });
    console.log(`warming up (${WARMUP_SECONDS}s per route)...`);
    for (const route of routes) await run(route.path, WARMUP_SECONDS);
    const rps = routes.map((): number[] => []);
    const errors = routes.map(() => 0);
    for (let round = 1; round <= ROUNDS; round++) {
      // ABBA order within a round, so drift from other load on the machine hits both routes alike.
      const order = round % 2 === 1 ? [0, 1] : [1, 0];
      for (const i of order) {
        const route = routes[i]!;
        const result = await run(route.path, ROUND_SECONDS);
        rps[i]!.push(result.requests.average);
        errors[i]! += result.errors + result.non2xx + result.timeouts;
        console.log(`round ${round} ${route.label}: ${Math.round(result.requests.average)} req/s`);
      }
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const [open, guarded] = [mean(rps[0]!), mean(rps[1]!)];
    rows.push({ measure: routes[0]!.label, value: `${Math.round(open)} req/s (${errors[0]} errors)`, target: '' });
    rows.push({
      measure: routes[1]!.label,
      value: `${Math.round(guarded)} req/s (${errors[1]} errors), ${(guarded / open).toFixed(2)}× of no auth`,
      target: '>= 0.8×',
    });
  } finally {
    child.kill();
    await obs.shutdown();
    sink.close();
    sink.closeAllConnections();
  }
  console.log(
    `\nidentityclient vs oidc-provider ${provider.issuer}, node ${process.version}; autocannon -c ${CONNECTIONS}, ${ROUNDS} rounds × ${ROUND_SECONDS}s per route`,
  );
  console.table(rows);
}

/** Child: Express with a SERVER span per request (as httpkit makes) and two routes, /open and /guarded. */
async function serve(): Promise<void> {
  const { initObservability, createLogger } = await import('@service-runtime/observability');
  initObservability({ serviceName: 'bench-identity-server', handleSignals: false });
  const { context, trace, SpanKind } = await import('@opentelemetry/api');
  const express = (await import('express')).default;
  const { createIdentityClient, requireAuth } = await import('@service-runtime/identityclient');
  const { token, ...options } = JSON.parse(process.env['BENCH_IDENTITY'] ?? '{}') as {
    token: string;
    introspectionUrl: string;
    clientId: string;
    clientSecret: string;
  };
  const identity = createIdentityClient({ ...options, logger: createLogger({ level: 'warn' }) });
  await identity.introspect(token);
  const tracer = trace.getTracer('bench-server');
  const app = express();
  app.use((req, res, next) => {
    const span = tracer.startSpan(`${req.method} ${req.path}`, { kind: SpanKind.SERVER });
    res.on('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      span.end();
    });
    context.with(trace.setSpan(context.active(), span), next);
  });
  const handler = (_req: unknown, res: import('express').Response) => {
    res.json({ id: 42, status: 'created' });
  };
  app.get('/open', handler);
  app.get('/guarded', requireAuth(identity, { scopes: ['orders:read'] }), handler);
  const server = app.listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as AddressInfo).port });
  });
}
