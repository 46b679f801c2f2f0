import { createTraceState, type SpanContext } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';
import { InvalidMessageError } from './errors.ts';

/** W3C limits on `tracestate`. */
const MAX_TRACESTATE_LENGTH = 512;
const MAX_TRACESTATE_MEMBERS = 32;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

/** `traceparent` of a span context (always W3C, whatever propagator is configured). */
export function formatTraceparent(sc: SpanContext): string {
  return (sc.traceFlags & 1) === 1 ? `00-${sc.traceId}-${sc.spanId}-01` : `00-${sc.traceId}-${sc.spanId}-00`;
}

/**
 * A remote span context from `traceparent` and optional `tracestate`, or an InvalidMessageError
 * (`invalid_traceparent`, `invalid_tracestate`). Version ff, zero ids and bad hex are refused.
 */
export function parseTraceContext(traceparent: string, tracestate: string | undefined): SpanContext {
  const match = TRACEPARENT.exec(traceparent.trim());
  if (
    match === null ||
    match[1] === 'ff' ||
    (match[1] === '00' && match[5] !== undefined) ||
    match[2] === ZERO_TRACE ||
    match[3] === ZERO_SPAN
  ) {
    throw new InvalidMessageError('invalid_traceparent', 'traceparent is not a valid W3C trace context');
  }
  const sc: SpanContext = {
    traceId: match[2]!,
    spanId: match[3]!,
    traceFlags: Number.parseInt(match[4]!, 16) & 1,
    isRemote: true,
  };
  if (tracestate !== undefined && tracestate !== '') {
    checkTracestate(tracestate);
    sc.traceState = createTraceState(tracestate);
  }
  return sc;
}

/** Refuses a `tracestate` over 512 characters or 32 members (W3C limits). */
export function checkTracestate(tracestate: string): void {
  if (tracestate.length > MAX_TRACESTATE_LENGTH) {
    throw new InvalidMessageError(
      'invalid_tracestate',
      `tracestate is longer than ${MAX_TRACESTATE_LENGTH} characters`,
    );
  }
  let members = 1;
  for (let i = 0; i < tracestate.length; i++) if (tracestate.charCodeAt(i) === 44) members++;
  if (members > MAX_TRACESTATE_MEMBERS) {
    throw new InvalidMessageError('invalid_tracestate', `tracestate has more than ${MAX_TRACESTATE_MEMBERS} members`);
  }
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
