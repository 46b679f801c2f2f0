/** The decoded OTLP shapes tests read; defined once, by the trace viewer that decodes them. */
export type {
  OtlpAnyValue,
  OtlpAttributes,
  OtlpLogRecord,
  OtlpSpan,
  OtlpSpanEvent,
  OtlpSpanLink,
} from '@service-runtime/trace-viewer';
