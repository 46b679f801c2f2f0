import { createTraceState, type SpanContext } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';
import { InvalidMessageError } from './errors.ts';

/** W3C limits on `tracestate`. */
const MAX_TRACESTATE_LENGTH = 512;
const MAX_TRACESTATE_MEMBERS = 32;

/** `traceparent` of a span context (always W3C, whatever propagator is configured). */
export function formatTraceparent(sc: SpanContext): string {
  return (sc.traceFlags & 1) === 1 ? `00-${sc.traceId}-${sc.spanId}-01` : `00-${sc.traceId}-${sc.spanId}-00`;
}

/**
 * A remote span context from `traceparent` and optional `tracestate`, or an InvalidMessageError
 * (`invalid_traceparent`, `invalid_tracestate`). Version ff, zero ids and bad hex are refused.
 */
export function parseTraceContext(traceparent: string, tracestate: string | undefined): SpanContext {
  const value = traceparent.length === 55 ? traceparent : traceparent.trim();
  if (!isWellFormed(value)) {
    throw new InvalidMessageError('invalid_traceparent', 'traceparent is not a valid W3C trace context');
  }
  const sc: SpanContext = {
    traceId: value.slice(3, 35),
    spanId: value.slice(36, 52),
    traceFlags: Number.parseInt(value.slice(53, 55), 16) & 1,
    isRemote: true,
  };
  if (tracestate !== undefined && tracestate !== '') {
    checkTracestate(tracestate);
    sc.traceState = createTraceState(tracestate);
  }
  return sc;
}

/** version-traceid-spanid-flags in lower-case hex; version ff, zero ids and bad lengths refused. */
function isWellFormed(value: string): boolean {
  if (value.length < 55) return false;
  if (value.length > 55 && (value.charCodeAt(55) !== 45 || value.startsWith('00'))) return false;
  if (value.charCodeAt(2) !== 45 || value.charCodeAt(35) !== 45 || value.charCodeAt(52) !== 45) return false;
  if (value.startsWith('ff')) return false;
  let traceZero = true;
  let spanZero = true;
  for (let i = 0; i < 55; i++) {
    if (i === 2 || i === 35 || i === 52) continue;
    const c = value.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
    if (c !== 48) {
      if (i > 2 && i < 35) traceZero = false;
      else if (i > 35 && i < 52) spanZero = false;
    }
  }
  return !traceZero && !spanZero;
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
