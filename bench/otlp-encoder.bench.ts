/**
 * `npm run bench:otlp-encoder`: CPU cost of turning finished spans into an OTLP/protobuf export
 * request, the SDK's `ProtobufTraceSerializer` (otlp-transformer 0.301.0) against this repository's
 * `encodeTraceRequest`, on the same 512 typical HTTP SERVER spans (10 attributes, remote parent, the
 * service resource), and the batch processor's path: each span encoded as it ends, then the request
 * built from those bytes. Prints µs/span for the first call (cold) and warm (best of ROUNDS batches,
 * alternating the two encoders), the ratio, and checks the two outputs are byte-identical.
 * Bounded: a few seconds.
 */
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { EndedSpanEncoder, encodeTraceRequest } from '../packages/observability/src/otlp-span-encoder.ts';

const SPANS = 512;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 200);

const spans: ReadableSpan[] = [];
const provider = new TracerProvider({
  resource: resourceFromAttributes({
    'service.name': 'orders',
    'service.version': '1.4.0',
    'deployment.environment.name': 'prod',
    'host.name': 'orders-7c9d8f6b5-x2k4j',
    'host.arch': 'amd64',
    'os.type': 'linux',
    'process.pid': 4211,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': '24.11.0',
    'process.executable.name': 'node',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.version': '3.1.0',
  }),
  spanProcessors: [
    {
      onStart: () => undefined,
      onEnd: (span) => void spans.push(span),
      forceFlush: async () => undefined,
      shutdown: async () => undefined,
    },
  ],
});
const tracer = provider.getTracer('@service-runtime/httpkit', '0.1.0');
const hex = (bytes: number) =>
  Array.from({ length: bytes }, () =>
    Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join('');
for (let i = 0; i < SPANS; i++) {
  const parent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: hex(16),
    spanId: hex(8),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  const route = ['/orders', '/orders/:id', '/health', '/orders/:id/items'][i % 4]!;
  const span = tracer.startSpan(
    `GET ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET',
        'url.path': route.replace(':id', String(10_000 + i)),
        'url.scheme': 'http',
        'http.route': route,
        'server.address': 'orders.internal',
        'server.port': 8080,
        'network.protocol.version': '1.1',
        'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)',
        'client.address': `10.0.${i % 256}.${(i * 7) % 256}`,
      },
    },
    parent,
  );
  span.setAttribute('http.response.status_code', i % 17 === 0 ? 500 : 200);
  span.end();
}

const atEnd = new EndedSpanEncoder();
const encoders = {
  sdk: (batch: ReadableSpan[]) => ProtobufTraceSerializer.serializeRequest(batch)!,
  ours: encodeTraceRequest,
  // What the batch processor does for OTLP protobuf: each span encoded as it ends, then the request.
  atEnd: (batch: ReadableSpan[]) => encodeTraceRequest(batch.map((span) => atEnd.encode(span))),
};

function timeOnce(encode: (batch: ReadableSpan[]) => Uint8Array): number {
  const start = process.hrtime.bigint();
  encode(spans);
  return Number(process.hrtime.bigint() - start) / 1000 / SPANS;
}

const cold = { sdk: timeOnce(encoders.sdk), ours: timeOnce(encoders.ours), atEnd: timeOnce(encoders.atEnd) };
const best = { sdk: Infinity, ours: Infinity, atEnd: Infinity };
const order = ['sdk', 'ours', 'atEnd'] as const;
for (let round = 0; round < ROUNDS; round++) {
  for (const name of round % 2 === 0 ? order : [...order].reverse()) {
    best[name] = Math.min(best[name], timeOnce(encoders[name]));
  }
}
const sdkBytes = Buffer.from(encoders.sdk(spans));
const ourBytes = Buffer.from(encoders.ours(spans));
const atEndBytes = Buffer.from(encoders.atEnd(spans));

const row = (name: string, c: number, w: number) =>
  console.log(`${name.padEnd(34)} ${c.toFixed(2).padStart(8)} ${w.toFixed(2).padStart(8)}`);
console.log(`${SPANS} HTTP SERVER spans, 10 attributes each; warm = best of ${ROUNDS} batches`);
console.log(`${'encoder'.padEnd(34)} ${'cold'.padStart(8)} ${'warm'.padStart(8)}   (µs/span)`);
row('SDK ProtobufTraceSerializer', cold.sdk, best.sdk);
row('encodeTraceRequest (this repo)', cold.ours, best.ours);
row('encoded at end + request (repo)', cold.atEnd, best.atEnd);
console.log(`warm ratio SDK/ours: ${(best.sdk / best.ours).toFixed(2)}x (target: ours <= 2 µs/span)`);
console.log(
  `request: ${ourBytes.length} bytes, byte-identical to the SDK's: ${ourBytes.equals(sdkBytes) && atEndBytes.equals(sdkBytes)}`,
);
await provider.shutdown();
