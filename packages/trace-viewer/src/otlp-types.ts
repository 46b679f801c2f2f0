/** An attribute value as decoded from OTLP. */
export type OtlpAnyValue = string | number | boolean | null | OtlpAnyValue[] | { [key: string]: OtlpAnyValue };
/** Attributes keyed by name. */
export type OtlpAttributes = Record<string, OtlpAnyValue>;

/** One span event: a timestamped name with attributes (exceptions are events named `exception`). */
export interface OtlpSpanEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: OtlpAttributes;
}

/** One span link: a reference to a span of this or another trace. */
export interface OtlpSpanLink {
  traceId: string;
  spanId: string;
  attributes: OtlpAttributes;
}

/** One span as decoded, with its resource attributes attached. */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  /** Empty string for a root span. */
  parentSpanId: string;
  traceState: string;
  name: string;
  /** OTLP SpanKind: 1 INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5 CONSUMER. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: OtlpAttributes;
  events: OtlpSpanEvent[];
  links: OtlpSpanLink[];
  /** OTLP status code: 0 UNSET, 1 OK, 2 ERROR. */
  status: { code: number; message: string };
  resource: OtlpAttributes;
  scope: string;
}

/** One log record as decoded, with its resource attributes attached. */
export interface OtlpLogRecord {
  /** Empty string when the record was not emitted inside a span. */
  traceId: string;
  spanId: string;
  /** `time_unix_nano`, or the observed time when the record has none. */
  timeUnixNano: bigint;
  /** OTLP SeverityNumber: 1–4 TRACE, 5–8 DEBUG, 9–12 INFO, 13–16 WARN, 17–20 ERROR, 21–24 FATAL. */
  severityNumber: number;
  severityText: string;
  body: OtlpAnyValue;
  attributes: OtlpAttributes;
  resource: OtlpAttributes;
  scope: string;
}
