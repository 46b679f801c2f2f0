/**
 * `npm run bench:bound-metrics`: CPU per record of a duration histogram and a counter under
 * observability's meter provider, through the SDK's API instruments (attributes hashed per record)
 * and through the bound instruments (attribute set found once). The variants alternate round by
 * round in one process (load drifts on a shared machine); prints the best round of each in ns.
 */
import { metrics, type Attributes } from '@opentelemetry/api';
import { createBoundCounter, createBoundHistogram, initObservability } from '@service-runtime/observability';
import { cpuMicrosPerOp } from './cpu-time.ts';

const ROUNDS = 7;
const PER_ROUND = Number(process.env['BENCH_RECORDS'] ?? 1_000_000);
const BOUNDARIES = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const SCOPE = { name: 'bench', version: '1.0.0' };

const obs = initObservability({ serviceName: 'bench-bound', tracesExporter: 'none', handleSignals: false });
const meter = metrics.getMeter(SCOPE.name, SCOPE.version);
// the attribute sets httpkit records http.server.request.duration with, built once as httpkit does
const sets: Attributes[] = ['/users/:id', '/orders/:id', '/health'].map((route) =>
  Object.freeze({
    'http.request.method': 'GET',
    'url.scheme': 'http',
    'http.route': route,
    'http.response.status_code': 200,
  }),
);
const apiHistogram = meter.createHistogram('api.duration', {
  unit: 's',
  advice: { explicitBucketBoundaries: BOUNDARIES },
});
const apiCounter = meter.createCounter('api.messages');
const boundHistogram = createBoundHistogram(SCOPE, 'bound.duration', {
  unit: 's',
  advice: { explicitBucketBoundaries: BOUNDARIES },
});
const histogramHandles = sets.map((set) => boundHistogram.bind(set));
const boundCounter = createBoundCounter(SCOPE, 'bound.messages');
const counterHandles = sets.map((set) => boundCounter.bind(set));

const value = (i: number) => (i % 97) / 1000;
const variants: [string, () => void][] = [
  [
    'histogram, SDK API (attributes hashed per record)',
    () => {
      for (let i = 0; i < PER_ROUND; i++) apiHistogram.record(value(i), sets[i % 3]);
    },
  ],
  [
    'histogram, bound handle',
    () => {
      for (let i = 0; i < PER_ROUND; i++) histogramHandles[i % 3]!.record(value(i));
    },
  ],
  [
    'counter, SDK API',
    () => {
      for (let i = 0; i < PER_ROUND; i++) apiCounter.add(1, sets[i % 3]);
    },
  ],
  [
    'counter, bound handle',
    () => {
      for (let i = 0; i < PER_ROUND; i++) counterHandles[i % 3]!.add(1);
    },
  ],
];

const best = variants.map(() => Infinity);
for (let round = 0; round < ROUNDS; round++) {
  for (const [i, [, run]] of variants.entries()) {
    const micros = await cpuMicrosPerOp(PER_ROUND, async () => run());
    best[i] = Math.min(best[i]!, micros);
  }
}
console.log(`\nin process, best of ${ROUNDS} × ${PER_ROUND} records, ${process.version}`);
console.table(
  variants.map(([label], i) => ({ variant: label, 'CPU ns/record': Number((best[i]! * 1000).toFixed(1)) })),
);
await obs.shutdown();
