import { PublishError } from './errors.ts';

/** CloudEvents attribute names: lower-case ASCII letters and digits only (CloudEvents 1.0, "Attribute Naming"). */
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
/** RFC 3339 date-time, the canonical form of a CloudEvents Timestamp. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
/** Attributes that, when present, must be non-empty strings. */
const OPTIONAL_STRINGS = new Set(['subject', 'datacontenttype', 'dataschema', 'time', 'traceparent', 'tracestate']);
/**
 * What a CloudEvents String may not hold (CloudEvents 1.0.2, "Type System"): control characters
 * U+0000–U+001F and U+007F–U+009F, Unicode noncharacters, and surrogates not used in pairs.
 */
const NOT_A_CLOUDEVENTS_STRING = /[\p{Cc}\p{Noncharacter_Code_Point}\p{Cs}]/u;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/**
 * Checks an event about to be published against CloudEvents 1.0: required attributes non-empty
 * strings, optional ones non-empty strings when present, `time` in RFC 3339, extension names
 * lower-case alphanumeric and values of a CloudEvents type (String without the characters the
 * spec disallows, Boolean, Integer, Binary).
 * Binary extension values are replaced by their base64 form (their canonical string in both
 * modes); `null` attributes are dropped (absent). Errors name the attribute, never its value.
 * `filled` names the attributes natsbus filled in itself, which need no check.
 */
export function checkPublishedEvent(event: Record<string, unknown>, filled = 0): void {
  if ((filled & FILLED_ID) === 0) checkRequired(event, 'id');
  if ((filled & FILLED_SOURCE) === 0) checkRequired(event, 'source');
  checkRequired(event, 'type');
  for (const name in event) {
    if (name === 'data' || name === 'id' || name === 'source' || name === 'type' || name === 'specversion') continue;
    if (name === 'time' && (filled & FILLED_TIME) !== 0) continue;
    const value = event[name];
    if (value === undefined) continue;
    if (value === null) {
      delete event[name];
      continue;
    }
    if (!ATTRIBUTE_NAME.test(name)) {
      invalid('an extension attribute name is not lower-case letters and digits (CloudEvents attribute naming)');
    }
    if (OPTIONAL_STRINGS.has(name)) {
      if (typeof value !== 'string' || value === '') invalid(`event.${name} must be a non-empty string when present`);
      if (name === 'time' && !RFC3339.test(value)) invalid('event.time must be an RFC 3339 timestamp');
      checkString(name, value);
      continue;
    }
    if (typeof value === 'string') {
      checkString(name, value);
      continue;
    }
    if (typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
        invalid(`extension ${name} is a number that is not a 32-bit integer (CloudEvents Integer)`);
      }
      continue;
    }
    if (value instanceof Uint8Array) {
      event[name] = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      continue;
    }
    invalid(`extension ${name} is a ${typeof value}, not a string, boolean, integer or bytes`);
  }
}

/** `filled` flags of {@link checkPublishedEvent}: attributes natsbus filled in itself (valid by construction). */
export const FILLED_ID = 1;
/** See {@link FILLED_ID}: the default source, already checked once. */
export const FILLED_SOURCE = 2;
/** See {@link FILLED_ID}: the time natsbus formatted. */
export const FILLED_TIME = 4;

function checkRequired(event: Record<string, unknown>, name: 'id' | 'source' | 'type'): void {
  const value = event[name];
  if (typeof value !== 'string' || value === '') invalid(`event.${name} must be a non-empty string`);
  checkString(name, value);
}

function checkString(name: string, value: string): void {
  if (NOT_A_CLOUDEVENTS_STRING.test(value)) {
    invalid(`event.${name} holds a control character, a noncharacter or an unpaired surrogate (CloudEvents String)`);
  }
}

function invalid(message: string): never {
  throw new PublishError(message, 'invalid_event');
}

/** Header names natsbus writes or NATS itself interprets (compared lower-cased). */
const RESERVED_EXACT = new Set(['content-type', 'traceparent', 'tracestate']);
const RESERVED_PREFIXES = ['ce-', 'nats-', 'natsbus-'];
/** An RFC 7230 token: what a NATS header name may be. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const LINE_BREAK = /[\r\n]/;

/** The caller's own NATS headers for one publish (`PublishOptions.headers`). */
export type ExtraHeaders = Readonly<Record<string, string | readonly string[]>>;

/**
 * Refuses caller headers that natsbus or NATS own (`content-type`, `traceparent`, `tracestate`,
 * `ce-*`, `Nats-*`, `Natsbus-*`, in any spelling), names that are not tokens and values with line
 * breaks. Errors name the header, never the value.
 */
export function checkExtraHeaders(headers: ExtraHeaders): void {
  for (const name of Object.keys(headers)) {
    if (!TOKEN.test(name))
      throw new PublishError('a PublishOptions.headers name is not a valid header name', 'invalid_header');
    const lower = name.toLowerCase();
    if (RESERVED_EXACT.has(lower) || RESERVED_PREFIXES.some((prefix) => lower.startsWith(prefix))) {
      throw new PublishError(`header ${name} is reserved to natsbus and NATS`, 'reserved_header');
    }
    const value = headers[name];
    const values = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string' || LINE_BREAK.test(v))) {
      throw new PublishError(`header ${name} must be a string (or strings) without line breaks`, 'invalid_header');
    }
  }
}
