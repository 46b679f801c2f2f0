import { createTraceState, type SpanContext } from '@opentelemetry/api';

/**
 * Why a received trace context was not used as sent. W3C Trace Context: an invalid `traceparent`
 * is ignored (a new trace starts); a `tracestate` that cannot be parsed (or has more than 32
 * members) is discarded, one over 512 characters is truncated by whole members, and neither ever affects `traceparent` or the message.
 */
export type TraceContextIssue = 'invalid_traceparent' | 'invalid_tracestate' | 'tracestate_truncated';

/** A received trace context after the W3C rules, and what had to be ignored or cut. */
export interface ReceivedTraceContext {
  /** The remote span context, or undefined when there was none or `traceparent` was invalid. */
  context: SpanContext | undefined;
  /** The `tracestate` to carry on (normalised), when there is one. */
  tracestate: string | undefined;
  issue: TraceContextIssue | undefined;
}

/** W3C: at most 32 members; vendors SHOULD propagate at least 512 characters; members over 128 go first when cutting. */
const TRACESTATE_KEEP_LENGTH = 512;
const TRACESTATE_LONG_MEMBER = 128;
const TRACESTATE_MAX_MEMBERS = 32;

const SIMPLE_KEY = /^[a-z][a-z0-9_\-*/]{0,255}$/;
const TENANT_KEY = /^[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}$/;
// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * Reads `traceparent` (any type: envelope extensions are untrusted JSON) and `tracestate` by the
 * W3C rules. Never throws: whatever is wrong is reported as {@link ReceivedTraceContext.issue}.
 */
export function receiveTraceContext(traceparent: unknown, tracestate: unknown): ReceivedTraceContext {
  if (traceparent === undefined) return { context: undefined, tracestate: undefined, issue: undefined };
  const sc = typeof traceparent === 'string' ? parseTraceparent(traceparent) : undefined;
  if (sc === undefined) return { context: undefined, tracestate: undefined, issue: 'invalid_traceparent' };
  if (typeof tracestate !== 'string' || tracestate.trim() === '') {
    return { context: sc, tracestate: undefined, issue: tracestate === undefined ? undefined : badState(tracestate) };
  }
  const state = normaliseTracestate(tracestate);
  if (state.value !== undefined) sc.traceState = createTraceState(state.value);
  return { context: sc, tracestate: state.value, issue: state.issue };
}

function badState(tracestate: unknown): TraceContextIssue | undefined {
  return typeof tracestate === 'string' ? undefined : 'invalid_tracestate';
}

/**
 * A remote span context from a W3C `traceparent`, or undefined when it is not one: version ff,
 * all-zero ids, upper-case or bad hex, wrong lengths, or a version-00 value with anything after it.
 */
export function parseTraceparent(traceparent: string): SpanContext | undefined {
  const value = traceparent.length === 55 ? traceparent : traceparent.trim();
  if (!isWellFormed(value)) return undefined;
  return {
    traceId: value.slice(3, 35),
    spanId: value.slice(36, 52),
    traceFlags: Number.parseInt(value.slice(53, 55), 16) & 1,
    isRemote: true,
  };
}

function isWellFormed(value: string): boolean {
  if (value.length < 55) return false;
  if (value.length > 55 && (value.charCodeAt(55) !== 45 || value.startsWith('00'))) return false;
  if (value.charCodeAt(2) !== 45 || value.charCodeAt(35) !== 45 || value.charCodeAt(52) !== 45) return false;
  if (value.startsWith('ff')) return false;
  return (
    hexRun(value, 0, 2) !== 0 &&
    (hexRun(value, 3, 35) & NON_ZERO) !== 0 &&
    (hexRun(value, 36, 52) & NON_ZERO) !== 0 &&
    hexRun(value, 53, 55) !== 0
  );
}

const ZERO = 1;
const NON_ZERO = 2;
/** By character code: ZERO for `0`, NON_ZERO for `1-9a-f`, 0 for anything else. */
const HEX_CLASS = new Uint8Array(128);
for (const c of '123456789abcdef') HEX_CLASS[c.charCodeAt(0)] = NON_ZERO;
HEX_CLASS['0'.charCodeAt(0)] = ZERO;

/** 0 unless `value[from, to)` is all lower-case hex; then NON_ZERO is set when a digit is not `0`. */
function hexRun(value: string, from: number, to: number): number {
  let seen = ZERO;
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    const kind = c < 128 ? HEX_CLASS[c]! : 0;
    if (kind === 0) return 0;
    seen |= kind;
  }
  return seen;
}

/**
 * `tracestate` by the W3C rules: empty and whitespace-only members are allowed (and skipped); a
 * member that breaks the grammar, a repeated key or more than 32 members (the grammar's limit; the
 * W3C test suite expects such a value discarded) makes the whole value unparseable (discarded); past
 * 512 characters, members over 128 characters go first, then members from the end, never cutting
 * inside a member.
 */
export function normaliseTracestate(tracestate: string): {
  value: string | undefined;
  issue: TraceContextIssue | undefined;
} {
  const members: string[] = [];
  const keys = new Set<string>();
  for (const part of tracestate.split(',')) {
    const member = part.trim();
    if (member === '') continue;
    const eq = member.indexOf('=');
    const key = eq > 0 ? member.slice(0, eq) : '';
    if (!(SIMPLE_KEY.test(key) || TENANT_KEY.test(key)) || !VALUE.test(member.slice(eq + 1)) || keys.has(key)) {
      return { value: undefined, issue: 'invalid_tracestate' };
    }
    keys.add(key);
    if (members.push(member) > TRACESTATE_MAX_MEMBERS) return { value: undefined, issue: 'invalid_tracestate' };
  }
  if (members.length === 0) return { value: undefined, issue: undefined };
  const fits = (list: string[]) => list.join(',').length <= TRACESTATE_KEEP_LENGTH;
  if (fits(members)) return { value: members.join(','), issue: undefined };
  const kept = members.filter((m) => m.length <= TRACESTATE_LONG_MEMBER);
  while (!fits(kept)) kept.pop();
  return { value: kept.length > 0 ? kept.join(',') : undefined, issue: 'tracestate_truncated' };
}
