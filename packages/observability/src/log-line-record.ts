import { SeverityNumber, TraceFlags, trace, type AnyValue, type Attributes } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';

/** One scope object for every record (the serializer groups records by scope identity). */
const SCOPE = { name: '@service-runtime/observability' } as const;
const SEVERITY_BY_LABEL: Record<string, SeverityNumber> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  fatal: SeverityNumber.FATAL,
};
const LABEL_BY_PINO_LEVEL: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
/** Keys of a log line that become fields of the record, not attributes. */
const RECORD_KEYS = new Set(['level', 'time', 'msg', 'trace_id', 'span_id', 'service_name']);

function hrTimeOf(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/** The `err` pino serialized, as the OTel exception attributes. */
function exceptionAttributes(err: unknown, into: Attributes): void {
  if (typeof err !== 'object' || err === null) return;
  const { type, message, stack } = err as Record<string, unknown>;
  if (typeof type === 'string') into['exception.type'] = type;
  if (typeof message === 'string') into['exception.message'] = message;
  if (typeof stack === 'string') into['exception.stacktrace'] = stack;
}

/**
 * Turns one JSON line of the logger into an OTLP log record: level → severity, `msg` → body,
 * `trace_id`/`span_id` → the record's span context (flags from the active span when it is that span),
 * `err` → `exception.*`, every other field → an attribute. A line that is not JSON becomes the body.
 */
export function logRecordFromLine(line: string, resource: Resource): ReadableLogRecord {
  const now = hrTimeOf(Date.now());
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(line) as Record<string, unknown>;
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw new TypeError('not an object');
  } catch {
    const body = line.trimEnd();
    return {
      hrTime: now,
      hrTimeObserved: now,
      body,
      resource,
      instrumentationScope: SCOPE,
      attributes: {},
      droppedAttributesCount: 0,
    };
  }
  const label =
    typeof fields['level'] === 'number' ? LABEL_BY_PINO_LEVEL[fields['level']] : String(fields['level'] ?? '');
  const time = typeof fields['time'] === 'string' ? Date.parse(fields['time']) : Number(fields['time']);
  const attributes: Attributes = {};
  for (const key in fields) {
    if (RECORD_KEYS.has(key)) continue;
    if (key === 'err') exceptionAttributes(fields[key], attributes);
    else attributes[key] = fields[key] as Attributes[string];
  }
  const traceId = fields['trace_id'];
  const spanId = fields['span_id'];
  let spanContext: ReadableLogRecord['spanContext'];
  if (typeof traceId === 'string' && typeof spanId === 'string') {
    const active = trace.getActiveSpan()?.spanContext();
    spanContext = { traceId, spanId, traceFlags: active?.spanId === spanId ? active.traceFlags : TraceFlags.NONE };
  }
  return {
    hrTime: Number.isFinite(time) ? hrTimeOf(time) : now,
    hrTimeObserved: now,
    spanContext,
    severityNumber: SEVERITY_BY_LABEL[label ?? ''] ?? SeverityNumber.UNSPECIFIED,
    severityText: label?.toUpperCase(),
    body: (fields['msg'] ?? '') as AnyValue,
    resource,
    instrumentationScope: SCOPE,
    attributes,
    droppedAttributesCount: 0,
  };
}
