// `npm run demo`: starts the mesh (identity, gateway, worker, billing, NATS), sends three orders,
// prints each trace as a waterfall and checks that the valid order made ONE connected trace.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../../test/helpers/observed-process.ts';
import { startMesh, type Mesh } from './mesh.ts';
import { runScenario } from './scenario.ts';
import { groupByTrace, renderWaterfall } from './waterfall.ts';

const keepRunning = process.argv.includes('--keep-running');
const log = (message: string) => process.stdout.write(`${message}\n`);
const natsUrl = process.env['NATS_URL']?.trim() || undefined;
const externalEndpoint = process.env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim() || undefined;

// Same as `npm test`'s pretest: finds nats-server, installs Debian's package when root, otherwise
// prints the one command to run. NATS_URL (a running server) skips it.
if (natsUrl === undefined) {
  const ensured = spawnSync('bash', [join(repoRoot, 'scripts', 'ensure-nats-server')], { stdio: 'inherit' });
  if (ensured.status !== 0) {
    log('the demo needs nats-server (see above), or NATS_URL set to a running server.');
    process.exit(1);
  }
}

const meshRef: { current?: Mesh } = {};
let stopping = false;
const stopAndExit = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await meshRef.current?.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stopAndExit(130));
process.on('SIGTERM', () => void stopAndExit(143));

log('starting the mesh: identity, billing, gateway, worker');
const mesh = await startMesh({ natsUrl, otlpEndpoint: externalEndpoint, onProgress: (m) => log(`  ${m}`) });
meshRef.current = mesh;
log('');
const result = await runScenario(mesh, (m) => log(`  ${m}`));

if (mesh.receiver !== undefined) {
  await new Promise((resolve) => setTimeout(resolve, 500)); // the last batches (200 ms schedule)
  const traces = groupByTrace(mesh.receiver.spans);
  for (const step of Object.values(result.steps)) {
    const spans = step.traceId ? (traces.get(step.traceId) ?? []) : [];
    log(`\n── ${step.title} (HTTP ${step.status}) · trace ${step.traceId ?? '?'} · ${spans.length} spans`);
    log(renderWaterfall(spans, mesh.receiver.spans));
  }
} else {
  log(
    `\nspans went to ${externalEndpoint}; open your tracing UI (Jaeger: http://localhost:16686, Grafana/Tempo: http://localhost:3000) and look up:`,
  );
  for (const step of Object.values(result.steps)) log(`  ${step.title}: trace ${step.traceId ?? '?'}`);
}

log('');
if (result.problems.length > 0) {
  log('FAILED: the mesh did not produce what it should:');
  for (const problem of result.problems) log(`  - ${problem}`);
  log(`service logs are in ${mesh.logDir}`);
  await stopAndExit(1);
}
log('OK: the valid order made ONE trace across gateway, identity, NATS, worker and billing;');
log('    the invalid token got 401 with no publish; the failing order ended in the dead-letter subject.');

if (keepRunning) {
  log('\nthe mesh keeps running (Ctrl-C stops it):');
  log(`  gateway   ${mesh.gatewayUrl}  (POST /orders, GET /healthz /readyz /metrics)`);
  log(`  billing   ${mesh.billingUrl}`);
  log(`  identity  ${mesh.identityUrl}  (/.well-known/openid-configuration)`);
  log(`  nats      ${mesh.natsUrl}`);
  log(`  spans     ${mesh.otlpEndpoint}`);
  log(`  logs      ${mesh.logDir}`);
} else {
  await stopAndExit(0);
}
