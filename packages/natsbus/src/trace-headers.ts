import type { SpanContext } from '@opentelemetry/api';
import type { HeaderReader } from './received-headers.ts';

/** `traceparent` of a span context (always W3C, whatever propagator is configured). */
export function formatTraceparent(sc: SpanContext): string {
  return (sc.traceFlags & 1) === 1 ? `00-${sc.traceId}-${sc.spanId}-01` : `00-${sc.traceId}-${sc.spanId}-00`;
}

/**
 * A header value looked up case-insensitively; "" (what nats.js returns for a missing key) and
 * blank values read as undefined.
 */
export function readHeader(headers: HeaderReader | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  let value = headers.get(name);
  if (value === '') {
    const key = spellingOf(headers, name);
    if (key !== undefined) value = headers.get(key);
  }
  return value === '' || value.trim() === '' ? undefined : value;
}

/** The first header name that is `name` (lower case) in another spelling. */
function spellingOf(headers: HeaderReader, name: string): string | undefined {
  for (const key of headers.keys()) if (key.length === name.length && key.toLowerCase() === name) return key;
  return undefined;
}

/** True when two contexts are the same span (so no link is needed). */
export function sameSpan(a: SpanContext, b: SpanContext): boolean {
  return a.spanId === b.spanId && a.traceId === b.traceId;
}

/**
 * A trace header read as W3C reads repeated fields: the values of one spelling (the lower-case one
 * first, as {@link readHeader}) joined with commas. Several `tracestate` fields are one list;
 * several `traceparent` fields join into a value that is not a traceparent, so a new trace starts.
 */
export function readTraceHeader(
  headers: HeaderReader | undefined,
  name: 'traceparent' | 'tracestate',
): string | undefined {
  if (headers === undefined) return undefined;
  let values = headers.values(name);
  if (values.length === 0) {
    const key = spellingOf(headers, name);
    if (key !== undefined) values = headers.values(key);
  }
  const value = values.length === 1 ? values[0]! : values.join(',');
  return value.trim() === '' ? undefined : value;
}
