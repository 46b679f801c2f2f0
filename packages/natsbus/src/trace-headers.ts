import type { SpanContext } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';

/** `traceparent` of a span context (always W3C, whatever propagator is configured). */
export function formatTraceparent(sc: SpanContext): string {
  return (sc.traceFlags & 1) === 1 ? `00-${sc.traceId}-${sc.spanId}-01` : `00-${sc.traceId}-${sc.spanId}-00`;
}

/**
 * A header value looked up case-insensitively; "" (what nats.js returns for a missing key) and
 * blank values read as undefined.
 */
export function readHeader(headers: MsgHdrs | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  let value = headers.get(name);
  if (value === '') {
    for (const key of headers.keys()) {
      if (key.length === name.length && key.toLowerCase() === name) {
        value = headers.get(key);
        break;
      }
    }
  }
  return value === '' || value.trim() === '' ? undefined : value;
}

/** True when two contexts are the same span (so no link is needed). */
export function sameSpan(a: SpanContext, b: SpanContext): boolean {
  return a.spanId === b.spanId && a.traceId === b.traceId;
}
