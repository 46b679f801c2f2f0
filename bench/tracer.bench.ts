/**
 * `npm run bench:tracer`: CPU per span of the SDK's TracerProvider (sdk-trace 3.1.0) against the
 * toolkit's LeanTracerProvider, in process, same resource, id generator and processors, each with its
 * own built-in samplers (SDK ParentBased vs the lean ones `createSampler` builds):
 * (a) a sampled-out SERVER span (ratio 0), start + end; (b) a recorded SERVER span with 8 attributes
 * (5 at the start, 3 set after), ended into the BoundedBatchSpanProcessor whose exporter encodes the
 * OTLP request and discards it. Variants alternate round by round (the machine is shared); prints the
 * best of ROUNDS in µs of CPU per span and the ratio. About 20 seconds.
 */
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags, type Tracer } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { BoundedBatchSpanProcessor, type EncodedSpanExporter } from '../packages/observability/src/batch-processor.ts';
import { LeanTracerProvider } from '../packages/observability/src/lean-tracer-provider.ts';
import { encodeTraceRequest } from '../packages/observability/src/otlp-span-encoder.ts';
import { PooledRandomIdGenerator } from '../packages/observability/src/random-ids.ts';
import { createResource } from '../packages/observability/src/resource.ts';
import { createSampler } from '../packages/observability/src/sampler.ts';
import { cpuMicrosPerOp } from './cpu-time.ts';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const PER_ROUND = Number(process.env['BENCH_TRACER_SPANS'] ?? 100_000);
// The batch export runs on a later tick: yield this often so the bounded queue never fills.
const YIELD_EVERY = 256;

const resource = createResource({ 'service.name': 'bench-tracer', 'service.version': '1.0.0' });
let encodedBytes = 0;
const discardingOtlp: EncodedSpanExporter = {
  acceptsEncodedSpans: true,
  export(spans, done) {
    encodedBytes += encodeTraceRequest(spans).length;
    done({ code: ExportResultCode.SUCCESS });
  },
  shutdown: async () => undefined,
};
const batchSettings = { scheduledDelayMs: 5000, exportTimeoutMs: 30_000, maxQueueSize: 2048, maxExportBatchSize: 512 };
const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
});

/** Builds a provider with the given root sampling ratio (parent-based, as `createSampler` builds it). */
type Factory = (ratio: 0 | 1, processors: SpanProcessor[]) => { getTracer(name: string): Tracer };
// What main ran before: the SDK's provider and samplers, with the toolkit's pooled ids.
const sdkSampler = (ratio: 0 | 1): Sampler =>
  new ParentBasedSampler({ root: ratio === 1 ? new AlwaysOnSampler() : new AlwaysOffSampler() });
const PROVIDERS: Record<string, Factory> = {
  'sdk-trace TracerProvider': (ratio, spanProcessors) =>
    new TracerProvider({
      resource,
      sampler: sdkSampler(ratio),
      spanProcessors,
      idGenerator: new PooledRandomIdGenerator(),
    }),
  LeanTracerProvider: (ratio, spanProcessors) =>
    new LeanTracerProvider({
      resource,
      sampler: createSampler({ name: 'parentbased_traceidratio', ratio }),
      spanProcessors,
      idGenerator: new PooledRandomIdGenerator(),
    }),
};

interface Case {
  label: string;
  setup(factory: Factory): { run(n: number): Promise<void>; check(): string };
}

const CASES: Case[] = [
  {
    label: '(a) sampled out (ratio 0), start + end',
    setup(factory) {
      const tracer = factory(0, []).getTracer('bench');
      return {
        async run(n) {
          for (let i = 0; i < n; i++) {
            tracer.startSpan('GET /users/:id', { kind: SpanKind.SERVER }, ROOT_CONTEXT).end();
          }
        },
        check: () => 'nothing recorded',
      };
    },
  },
  {
    label: '(b) recorded, 8 attributes, into the batch processor + OTLP encoding',
    setup(factory) {
      const batch = new BoundedBatchSpanProcessor(discardingOtlp, batchSettings);
      const tracer = factory(1, [batch]).getTracer('@service-runtime/httpkit');
      return {
        async run(n) {
          for (let i = 0; i < n; i++) {
            const span = tracer.startSpan(
              'GET /users/:id',
              {
                kind: SpanKind.SERVER,
                attributes: {
                  'http.request.method': 'GET',
                  'url.path': '/users/42',
                  'url.scheme': 'http',
                  'server.address': 'users.internal',
                  'server.port': 8080,
                },
              },
              remoteParent,
            );
            span.setAttribute('http.route', '/users/:id');
            span.setAttribute('network.protocol.version', '1.1');
            span.setAttribute('http.response.status_code', 200);
            span.end();
            if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise(setImmediate);
          }
          await batch.forceFlush();
        },
        check: () => `exported ${batch.health.exported}, dropped ${batch.health.dropped}`,
      };
    },
  },
];

const fmt = (n: number) => n.toFixed(2).padStart(7);
console.log(`bench:tracer · ${ROUNDS} rounds × ${PER_ROUND} spans, best round, µs of CPU per span`);
for (const testCase of CASES) {
  const variants = Object.entries(PROVIDERS).map(([label, factory]) => ({ label, ...testCase.setup(factory) }));
  for (const variant of variants) await variant.run(PER_ROUND / 10); // warm-up
  const best = variants.map(() => Number.POSITIVE_INFINITY);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, variant] of variants.entries()) {
      best[i] = Math.min(best[i]!, await cpuMicrosPerOp(PER_ROUND, () => variant.run(PER_ROUND)));
    }
  }
  console.log(`\n${testCase.label}`);
  for (const [i, variant] of variants.entries()) {
    console.log(`  ${variant.label.padEnd(26)} ${fmt(best[i]!)} µs   (${variant.check()})`);
  }
  console.log(`  ratio SDK / lean           ${fmt(best[0]! / best[1]!)} ×`);
}
console.log(
  `\n(encoded ${(encodedBytes / 1e6).toFixed(1)} MB of OTLP in all; load ${(await import('node:os')).loadavg()[0]!.toFixed(2)})`,
);
