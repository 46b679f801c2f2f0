export { main } from './cli.ts';
export { TraceViewerError } from './errors.ts';
export { decodeLogsJson, decodeTraceJson } from './otlp-json.ts';
export { createOtlpHttpHandler, DEFAULT_MAX_BODY_BYTES } from './otlp-http-receiver.ts';
export { decodeLogsRequest, decodeTraceRequest } from './otlp-protobuf.ts';
export { DEFAULT_STORE_LIMITS, TraceStore } from './trace-store.ts';
export { DEFAULT_OTLP_PORT, DEFAULT_PAGE_PORT, startTraceViewer } from './trace-viewer.ts';

export type { TraceViewerErrorCode } from './errors.ts';
export type {
  OtlpAnyValue,
  OtlpAttributes,
  OtlpLogRecord,
  OtlpSpan,
  OtlpSpanEvent,
  OtlpSpanLink,
} from './otlp-types.ts';
export type { StoredTrace, TraceFilter, TraceStoreLimits, TraceStoreStats } from './trace-store.ts';
export type { TraceSummary } from './trace-summary.ts';
export type { TraceViewer, TraceViewerOptions } from './trace-viewer.ts';
