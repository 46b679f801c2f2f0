import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../../../test/helpers/otlp-receiver.ts';
import { resolveConfig } from '../src/config.ts';
import { resetConfigWarnings, setConfigWarningSink } from '../src/env.ts';
import { logRecordFromLine } from '../src/log-line-record.ts';
import { OtlpLogExport, type OtlpLogExportSettings } from '../src/otlp-log-exporter.ts';

const resource = resourceFromAttributes({ 'service.name': 'billing' });
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const line = (fields: Record<string, unknown>) =>
  `${JSON.stringify({ level: 'info', time: '2026-01-02T03:04:05.678Z', service_name: 'billing', msg: 'invoice created', ...fields })}\n`;

let receiver: OtlpReceiver;
let notices: { level: string; fields: object; message: string }[];
beforeEach(async () => {
  receiver = await startOtlpReceiver();
  notices = [];
});
afterEach(() => receiver.close());

function exporter(settings: Partial<OtlpLogExportSettings> = {}): OtlpLogExport {
  return new OtlpLogExport({
    url: `${receiver.endpoint}/v1/logs`,
    headers: {},
    json: false,
    timeoutMs: 1000,
    scheduledDelayMs: 60_000,
    maxQueueSize: 100,
    maxExportBatchSize: 50,
    notices: {
      warn: (fields, message) => notices.push({ level: 'warn', fields, message }),
      info: (fields, message) => notices.push({ level: 'info', fields, message }),
    },
    redact: (text) => text,
    ...settings,
  });
}

describe('a logger line as an OTLP log record', () => {
  it('keeps time, severity, body, trace and span ids, fields as attributes, err as exception.*', () => {
    const record = logRecordFromLine(
      line({
        level: 'error',
        trace_id: TRACE_ID,
        span_id: SPAN_ID,
        orderId: 'o-1',
        err: { type: 'TypeError', message: 'bad sku', stack: 'TypeError: bad sku\n    at x' },
      }),
      resource,
    );
    expect(record).toMatchObject({
      hrTime: [Date.parse('2026-01-02T03:04:05.678Z') / 1000 - 0.678, 678_000_000],
      severityNumber: 17,
      severityText: 'ERROR',
      body: 'invoice created',
      spanContext: { traceId: TRACE_ID, spanId: SPAN_ID },
      attributes: {
        orderId: 'o-1',
        'exception.type': 'TypeError',
        'exception.message': 'bad sku',
        'exception.stacktrace': 'TypeError: bad sku\n    at x',
      },
    });
    expect(Object.keys(record.attributes)).not.toContain('service_name');
  });

  it('takes the trace flags of the active span when the line names it', () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    try {
      const span = trace.wrapSpanContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
      const record = context.with(trace.setSpan(context.active(), span), () =>
        logRecordFromLine(line({ trace_id: TRACE_ID, span_id: SPAN_ID }), resource),
      );
      expect(record.spanContext?.traceFlags).toBe(TraceFlags.SAMPLED);
    } finally {
      context.disable();
    }
  });

  it('keeps a line that is not JSON as the body', () => {
    expect(logRecordFromLine('plain text\n', resource)).toMatchObject({ body: 'plain text', attributes: {} });
  });
});

describe('OtlpLogExport', () => {
  it('sends batches over OTLP/HTTP protobuf and JSON that a receiver decodes with their span ids', async () => {
    for (const json of [false, true]) {
      const logs = exporter({ json });
      logs.add(logRecordFromLine(line({ trace_id: TRACE_ID, span_id: SPAN_ID, json }), resource));
      await logs.flush();
      expect(logs.health).toMatchObject({ exported: 1, failed: 0, dropped: 0, queued: 0 });
      await logs.shutdown();
    }
    expect(receiver.logs.map((l) => [l.traceId, l.spanId, l.body, l.severityNumber, l.attributes['json']])).toEqual([
      [TRACE_ID, SPAN_ID, 'invoice created', 9, false],
      [TRACE_ID, SPAN_ID, 'invoice created', 9, true],
    ]);
    expect(receiver.contentTypes).toEqual(['application/x-protobuf', 'application/json']);
    expect(receiver.logs[0]!.resource['service.name']).toBe('billing');
  });

  it('never blocks on a hanging collector: one request in flight, a bounded queue, drops counted and reported once', async () => {
    receiver.setMode({ kind: 'hang' });
    const logs = exporter({ maxQueueSize: 5, maxExportBatchSize: 2, timeoutMs: 300 });
    for (let i = 0; i < 50; i++) logs.add(logRecordFromLine(line({ i }), resource));
    // The first full batch went out (and hangs); five wait; the rest were dropped.
    expect(logs.health).toMatchObject({ queued: 5, dropped: 50 - 2 - 5 });
    expect(notices.filter((n) => n.message.startsWith('dropped'))).toHaveLength(1);
    await logs.flush(); // ends when the hanging request is cut at the timeout
    expect(logs.health.failed).toBe(2);
    expect(receiver.requestCount()).toBe(1);
    expect(notices.some((n) => n.level === 'warn' && /log export failed \(timeout\)/.test(n.message))).toBe(true);

    receiver.setMode({ kind: 'ok' });
    await logs.flush();
    expect(logs.health).toMatchObject({ exported: 5, queued: 0 });
    expect(notices.at(-1)?.message).toBe('log export works again');
    await logs.shutdown();
  });

  it('sends OTEL_EXPORTER_OTLP_LOGS_HEADERS with each request', async () => {
    const logs = exporter({ headers: { 'x-tenant': 'acme' } });
    logs.add(logRecordFromLine(line({}), resource));
    await logs.shutdown();
    expect(receiver.requests.map((r) => [r.path, r.headers['x-tenant']])).toEqual([['/v1/logs', 'acme']]);
  });
});

describe('OTEL_LOGS_EXPORTER and the logs endpoint', () => {
  let warnings: string[] = [];
  let restore: ReturnType<typeof setConfigWarningSink>;
  beforeEach(() => {
    warnings = [];
    resetConfigWarnings();
    restore = setConfigWarningSink((message) => warnings.push(message));
  });
  afterEach(() => void setConfigWarningSink(restore));

  it('defaults to console (JSON lines on stdout), also when an OTLP endpoint is set', () => {
    expect(resolveConfig({}, {}).logsExporters).toEqual(['console']);
    expect(resolveConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).logsExporters).toEqual(['console']);
  });

  it('reads a list of console, otlp, none; none wins; an unknown name warns', () => {
    expect(resolveConfig({}, { OTEL_LOGS_EXPORTER: 'console, OTLP' }).logsExporters).toEqual(['console', 'otlp']);
    expect(resolveConfig({}, { OTEL_LOGS_EXPORTER: 'otlp,none' }).logsExporters).toEqual(['none']);
    expect(resolveConfig({}, { OTEL_LOGS_EXPORTER: 'loki' }).logsExporters).toEqual(['console']);
    expect(warnings).toEqual([
      'OTEL_LOGS_EXPORTER="loki" names an unknown exporter (known: console, otlp, none); using console',
    ]);
  });

  it('takes the endpoint, protocol, headers and timeout from the LOGS variables over the general ones', () => {
    const config = resolveConfig(
      {},
      {
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_HEADERS: 'a=1',
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:9999/custom/path',
        OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'b=2',
        OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '1500',
        OTEL_BLRP_MAX_QUEUE_SIZE: '10',
      },
    );
    expect(config.logsOtlp).toEqual({
      url: 'http://logs:9999/custom/path',
      protocol: 'http/json',
      headers: { a: '1', b: '2' },
      timeoutMs: 1500,
    });
    expect(config.logBatch.maxQueueSize).toBe(10);
    expect(resolveConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).logsOtlp.url).toBe(
      'http://collector:4318/v1/logs',
    );
  });

  it('falls back from grpc to http/protobuf for logs, with a warning', () => {
    const config = resolveConfig({}, { OTEL_LOGS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    expect(config.logsOtlp).toMatchObject({ protocol: 'http/protobuf', url: 'http://localhost:4318/v1/logs' });
    expect(warnings).toEqual([expect.stringContaining('not grpc; using http/protobuf')]);
  });
});
