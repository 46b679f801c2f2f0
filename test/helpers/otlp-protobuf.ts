/**
 * Tests read what an exporter sent with the trace viewer's OTLP/protobuf decoders (one decoder in the
 * repository, bounds-checked, so a short or malformed request fails the test instead of decoding short).
 */
export { decodeLogsRequest, decodeTraceRequest } from '@service-runtime/trace-viewer';
