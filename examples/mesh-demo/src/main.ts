// `npm run demo`: starts the mesh (identity, gateway, worker, billing, NATS), sends three orders,
// prints each trace as a waterfall and checks that the valid order made ONE connected trace.
// `npm run demo -- --ui`: the same against the local trace viewer, and the URL of each trace.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../../test/helpers/observed-process.ts';
import { connectDemoViewer, type DemoViewer } from './demo-viewer.ts';
import { startMesh, type Mesh } from './mesh.ts';
import { runScenario } from './scenario.ts';
import { groupByTrace, renderWaterfall } from './waterfall.ts';

const keepRunning = process.argv.includes('--keep-running');
const ui = process.argv.includes('--ui');
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

const running: { mesh?: Mesh; viewer?: DemoViewer } = {};
let stopping = false;
const stopAndExit = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await running.mesh?.stop();
  await running.viewer?.started?.close();
  process.exit(code);
};
process.on('SIGINT', () => void stopAndExit(130));
process.on('SIGTERM', () => void stopAndExit(143));

const viewer = ui ? await connectDemoViewer() : undefined;
running.viewer = viewer;
if (viewer !== undefined) log(`trace viewer on ${viewer.url} (OTLP/HTTP ${viewer.otlpEndpoint})`);
log('starting the mesh: identity, billing, gateway, worker');
const mesh = await startMesh({
  natsUrl,
  otlpEndpoint: viewer?.otlpEndpoint ?? externalEndpoint,
  // The viewer shows each span's log lines; stdout keeps them too (the demo reads "ready" there).
  env: viewer === undefined ? undefined : { OTEL_LOGS_EXPORTER: 'console,otlp', OTEL_BLRP_SCHEDULE_DELAY: '200' },
  onProgress: (m) => log(`  ${m}`),
});
running.mesh = mesh;
log('');
const result = await runScenario(mesh, (m) => log(`  ${m}`));

await new Promise((resolve) => setTimeout(resolve, 500)); // the last batches (200 ms schedule)
const allSpans = mesh.receiver?.spans ?? viewer?.spans();
if (allSpans !== undefined) {
  const traces = groupByTrace(allSpans);
  for (const step of Object.values(result.steps)) {
    const spans = step.traceId ? (traces.get(step.traceId) ?? []) : [];
    log(`\n── ${step.title} (HTTP ${step.status}) · trace ${step.traceId ?? '?'} · ${spans.length} spans`);
    log(renderWaterfall(spans, allSpans));
  }
  const validTrace = result.steps.valid.traceId;
  const audit = allSpans.find((s) => s.traceId !== validTrace && s.links.some((l) => l.traceId === validTrace));
  if (audit !== undefined) {
    const spans = traces.get(audit.traceId) ?? [];
    log(`\n── audit of the billed order: a new trace, linked to the valid order · trace ${audit.traceId}`);
    log(renderWaterfall(spans, allSpans));
  }
} else if (viewer === undefined) {
  // Spans went to an external collector; a viewer in another process gets its URLs printed below instead.
  log(`\nspans went to ${externalEndpoint}; look up these traces:`);
  for (const step of Object.values(result.steps)) log(`  ${step.title}: trace ${step.traceId ?? '?'}`);
}
if (viewer !== undefined) {
  log('\nopen the traces in the viewer:');
  for (const step of Object.values(result.steps)) log(`  ${step.title}: ${viewer.url}/traces/${step.traceId ?? ''}`);
} else if (externalEndpoint !== undefined) {
  log('open your tracing UI (Jaeger: http://localhost:16686, Grafana/Tempo: http://localhost:3000).');
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
} else if (viewer?.started !== undefined) {
  await mesh.stop();
  log(`\nthe trace viewer keeps running on ${viewer.url} (a development tool; Ctrl-C stops it)`);
} else {
  await stopAndExit(0);
}
