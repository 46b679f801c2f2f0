import type { MsgHdrs } from '@nats-io/transport-node';
import { checkReceivedEvent } from './envelope.ts';
import { InvalidMessageError } from './errors.ts';
import type { HeaderReader } from './received-headers.ts';
import { CLOUDEVENTS_MEDIA_PREFIX, HEADER_CONTENT_TYPE } from './semconv.ts';
import { textOf } from './structured-mode.ts';
import { readHeader } from './trace-headers.ts';
import type { CloudEvent } from './types.ts';

/** Header prefix of CloudEvents attributes in binary mode (CloudEvents NATS protocol binding §3.1.3.1). */
const PREFIX = 'ce-';
/** Space, `"`, `%` and anything outside printable ASCII are percent-encoded (binding §3.1.3.2). */
const NEEDS_ENCODING = /[^\x21\x23\x24\x26-\x7e]/;
const JSON_MEDIA_TYPE = 'application/json';

/**
 * Binary mode (CloudEvents NATS protocol binding 1.0.3 §3.1): every attribute, `datacontenttype`
 * and extensions included, in its own `ce-` header, percent-encoded; the data as the body. Data
 * that is not bytes is sent as JSON ({@link binaryBody}) and says so in `ce-datacontenttype` when
 * the event did not. Sets them on `into` one by one.
 */
export function setBinaryHeaders(event: CloudEvent, into: MsgHdrs): void {
  forEachBinaryHeader(event, (name, value) => into.set(name, value));
}

/**
 * The `ce-` header lines of {@link setBinaryHeaders} (`name: value\r\n` each, in the same order) as
 * nats.js would encode them: the names are `ce-` + CloudEvents attribute names and the values
 * percent-encoded, so nothing in them is trimmed, refused or merged by nats.js.
 */
export function binaryHeaderLines(event: CloudEvent): string {
  let lines = '';
  forEachBinaryHeader(event, (name, value) => {
    lines += `${name}: ${value}\r\n`;
  });
  return lines;
}

/** The body of a binary-mode message: the data as bytes (JSON unless bytes or text of another type). */
export function binaryBody(event: CloudEvent): Uint8Array {
  return encodeData(event.data, event.datacontenttype);
}

function forEachBinaryHeader(event: CloudEvent, write: (name: string, value: string) => void): void {
  for (const key of Object.keys(event)) {
    const value = event[key];
    if (key === 'data' || value === undefined || value === null) continue;
    write(PREFIX + key, percentEncode(String(value)));
  }
  const data = event.data;
  if (event.datacontenttype === undefined && data !== undefined && !(data instanceof Uint8Array)) {
    write('ce-datacontenttype', JSON_MEDIA_TYPE);
  }
}

/**
 * Content-mode detection (binding §3): a `Content-Type` starting with `application/cloudevents`
 * (any case) means structured; otherwise a `ce-specversion` header means binary. A message with
 * neither is read as structured, as it was before NATS had headers.
 */
export function isBinaryMode(headers: HeaderReader | undefined): boolean {
  if (headers === undefined) return false;
  const contentType = readHeader(headers, HEADER_CONTENT_TYPE);
  if (contentType !== undefined && isCloudEventsMedia(contentType)) return false;
  return readHeader(headers, 'ce-specversion') !== undefined;
}

/**
 * The event carried by `ce-*` headers (any spelling) and a body; InvalidMessageError when it is
 * not one. Without `ce-datacontenttype` a plain `Content-Type` is taken as the data's type (older
 * writers); without either the data stays bytes, exactly as sent.
 */
export function decodeBinary(headers: HeaderReader, body: Uint8Array): CloudEvent {
  const event: Record<string, unknown> = {};
  let contentType: string | undefined;
  for (const key of headers.keys()) {
    const lower = key.toLowerCase();
    if (lower.startsWith(PREFIX)) {
      const name = lower.slice(PREFIX.length);
      if (name !== '' && name !== 'data') event[name] = decodeHeaderValue(headers.get(key));
    } else if (lower === HEADER_CONTENT_TYPE) {
      contentType = decodeHeaderValue(headers.get(key));
    }
  }
  if (event['datacontenttype'] === undefined && contentType !== undefined && !isCloudEventsMedia(contentType)) {
    event['datacontenttype'] = contentType;
  }
  const checked = checkReceivedEvent(event);
  if (body.length > 0) checked.data = decodeData(body, checked.datacontenttype);
  return checked;
}

function encodeData(data: unknown, contentType: string | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string' && contentType !== undefined && !isJson(contentType)) return Buffer.from(data);
  return Buffer.from(JSON.stringify(data));
}

function decodeData(body: Uint8Array, contentType: string | undefined): unknown {
  if (contentType === undefined) return Buffer.from(body);
  if (isJson(contentType)) {
    try {
      return JSON.parse(textOf(body));
    } catch (error) {
      if (error instanceof InvalidMessageError) throw error;
      throw new InvalidMessageError('invalid_json', 'binary-mode data is not valid JSON', { cause: error });
    }
  }
  if (mediaType(contentType).startsWith('text/')) return textOf(body);
  return Buffer.from(body);
}

function mediaType(contentType: string): string {
  return contentType.split(';', 1)[0]!.trim().toLowerCase();
}

function isJson(contentType: string): boolean {
  const type = mediaType(contentType);
  return type === JSON_MEDIA_TYPE || type.endsWith('+json');
}

function isCloudEventsMedia(contentType: string): boolean {
  return contentType.trimStart().toLowerCase().startsWith(CLOUDEVENTS_MEDIA_PREFIX);
}

/** Percent-encodes the UTF-8 bytes a header value may not carry as they are (upper-case hex). */
export function percentEncode(value: string): string {
  if (!NEEDS_ENCODING.test(value)) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out +=
      byte > 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * A `ce-` header value as the binding reads it: RFC 7230 quoted strings unescaped first, then one
 * round of percent-decoding (either hex case); invalid UTF-8 or a malformed escape is refused.
 */
export function decodeHeaderValue(value: string): string {
  return percentDecode(value.includes('"') ? unquote(value) : value);
}

/** Reverses {@link percentEncode}; a malformed escape or invalid UTF-8 makes the event invalid. */
export function percentDecode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch (error) {
    throw new InvalidMessageError('invalid_cloudevent', 'a ce- header has a malformed percent-encoding', {
      cause: error,
    });
  }
}

/** Removes RFC 7230 §3.2.6 quoted-string quoting (`"a \"b\""` → `a "b"`); text outside quotes is kept. */
function unquote(value: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && quoted && i + 1 < value.length) out += value[++i];
    else out += c;
  }
  if (quoted) throw new InvalidMessageError('invalid_cloudevent', 'a ce- header has an unterminated quoted string');
  return out;
}
