/** An attribute value as decoded from OTLP. */
export type OtlpAnyValue = string | number | boolean | null | OtlpAnyValue[] | { [key: string]: OtlpAnyValue };
/** Attributes keyed by name. */
export type OtlpAttributes = Record<string, OtlpAnyValue>;

/** One span as the receiver decoded it, with its resource attributes attached. */
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
  events: { name: string; attributes: OtlpAttributes }[];
  links: { traceId: string; spanId: string; attributes: OtlpAttributes }[];
  /** OTLP status code: 0 UNSET, 1 OK, 2 ERROR. */
  status: { code: number; message: string };
  resource: OtlpAttributes;
  scope: string;
}
