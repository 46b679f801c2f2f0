import { randomUUID } from 'node:crypto';
import { InvalidMessageError, PublishError } from './errors.ts';
import { checkPublishedEvent, FILLED_ID, FILLED_SOURCE, FILLED_TIME } from './event-checks.ts';
import type { CloudEvent, EventInput } from './types.ts';

/**
 * The event to send: `input` with `id`, `time`, `specversion` and `source` filled in when missing.
 * No default `datacontenttype`: absent means JSON (binary mode states it in `ce-datacontenttype`).
 * A received event passed back in keeps its id, source and every extension, trace ones included.
 * The result is checked against CloudEvents 1.0 before anything reaches the wire (PublishError
 * `invalid_event`, naming the attribute, never its value).
 */
export function completeEvent(input: EventInput, defaultSource: string): CloudEvent {
  if (input.specversion !== undefined && input.specversion !== '1.0') {
    throw new PublishError('unsupported specversion (natsbus writes CloudEvents 1.0)', 'invalid_event');
  }
  const event = { ...input } as CloudEvent;
  event.specversion = '1.0';
  // what natsbus fills in is known to be valid: only the caller's own attributes are checked
  let filled = 0;
  if (event.id == null) {
    event.id = randomUUID();
    filled |= FILLED_ID;
  }
  if (event.source == null) {
    event.source = defaultSource;
    if (defaultSource === checkedSource) filled |= FILLED_SOURCE;
  }
  if (event.time == null) {
    event.time = isoNow();
    filled |= FILLED_TIME;
  }
  checkPublishedEvent(event, filled);
  if ((filled & FILLED_SOURCE) === 0 && event.source === defaultSource) checkedSource = defaultSource;
  return event;
}

/** The last default source that passed the checks (the bus's own, in practice). */
let checkedSource: string | undefined;

/**
 * Checks that a decoded object is a CloudEvent 1.0: `specversion`, `id`, `source` and `type` present
 * as non-empty strings. Throws InvalidMessageError (`invalid_cloudevent`, `unsupported_specversion`).
 */
export function checkReceivedEvent(value: unknown): CloudEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidMessageError('invalid_cloudevent', 'payload is not a JSON object');
  }
  const event = value as Record<string, unknown>;
  const specversion = event['specversion'];
  if (specversion === undefined) {
    throw new InvalidMessageError('invalid_cloudevent', 'CloudEvent has no specversion');
  }
  if (specversion !== '1.0') {
    // Untrusted input: named, never quoted (it may carry anything, and its toString may throw).
    throw new InvalidMessageError('unsupported_specversion', 'CloudEvent specversion is not 1.0');
  }
  for (const name of REQUIRED) {
    const attribute = event[name];
    if (typeof attribute !== 'string' || attribute === '') {
      throw new InvalidMessageError('invalid_cloudevent', `CloudEvent ${name} is missing or not a non-empty string`);
    }
  }
  return event as CloudEvent;
}

const REQUIRED = ['id', 'source', 'type'] as const;

let lastMs = 0;
let lastIso = '';

/** `new Date().toISOString()`, formatted at most once per millisecond. */
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

/** A copy of `event` without the Distributed Tracing extension (for external subjects). */
export function withoutTraceContext(event: CloudEvent): CloudEvent {
  if (event.traceparent === undefined && event.tracestate === undefined) return event;
  const { traceparent: _traceparent, tracestate: _tracestate, ...rest } = event;
  return rest as CloudEvent;
}
