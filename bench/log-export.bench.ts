/**
 * `npm run bench:log-export`: CPU cost per log line of `OTEL_LOGS_EXPORTER=otlp` on top of the JSON
 * line pino writes anyway: the line turned into an OTLP log record (`logRecordFromLine`), then
 * serialized to OTLP/protobuf in batches of 512 (`ProtobufLogsSerializer`, as the export does). A
 * typical line: info level inside a span (trace and span ids), four fields. Prints µs/line, best of
 * ROUNDS rounds. No network: the post itself runs off the caller's path. Bounded: a few seconds.
 */
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { createLogger } from '../packages/observability/src/logger.ts';
import { logRecordFromLine } from '../packages/observability/src/log-line-record.ts';
import { createResource } from '../packages/observability/src/resource.ts';

const LINES = 20_000;
const BATCH = 512;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 15);
const resource = createResource({ 'service.name': 'orders', 'service.version': '1.4.0' });

const lines: string[] = [];
const logger = createLogger({ serviceName: 'orders', destination: { write: (line: string) => void lines.push(line) } });
const ids = { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' };
const fields = { orderId: 'o-123456', sku: 'SKU-123', quantity: 2, component: 'natsbus' };

function best(run: () => void): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    run();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - start) / 1000 / LINES);
  }
  return fastest;
}

const pino = best(() => {
  lines.length = 0;
  for (let i = 0; i < LINES; i++) logger.info({ ...ids, ...fields }, 'order billed');
});
let records: ReadableLogRecord[] = [];
const toRecord = best(() => {
  records = lines.map((line) => logRecordFromLine(line, resource));
});
let bytes = 0;
const serialize = best(() => {
  bytes = 0;
  for (let i = 0; i < records.length; i += BATCH) {
    bytes += ProtobufLogsSerializer.serializeRequest(records.slice(i, i + BATCH))?.length ?? 0;
  }
});

const f = (n: number) => n.toFixed(2).padStart(6);
console.log(`log export cost per line (${LINES} lines, best of ${ROUNDS} rounds, Node ${process.versions.node})`);
console.log(`  pino JSON line (console, paid anyway)      ${f(pino)} µs`);
console.log(`  + line → OTLP log record                   ${f(toRecord)} µs`);
console.log(
  `  + OTLP/protobuf, batches of ${BATCH}            ${f(serialize)} µs  (${(bytes / LINES).toFixed(0)} B/line)`,
);
console.log(
  `  otlp on top of console                     ${f(toRecord + serialize)} µs (${((toRecord + serialize) / pino).toFixed(2)}× the line itself)`,
);
