import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { checkReceivedEvent } from './envelope.ts';
import { InvalidMessageError } from './errors.ts';
import { textOf } from './structured-mode.ts';
import type { CloudEvent } from './types.ts';

/** Header prefix of CloudEvents attributes in binary mode (CloudEvents NATS protocol binding). */
const PREFIX = 'ce-';
/** Anything but printable ASCII, and space, `"` and `%`, is percent-encoded (as in the HTTP binding). */
const NEEDS_ENCODING = /[^\x21\x23\x24\x26-\x7e]/;

/** Binary mode: each attribute as a `ce-*` header, `datacontenttype` as `content-type`, data as the body. */
export function encodeBinary(event: CloudEvent, into: MsgHdrs = natsHeaders()): { headers: MsgHdrs; body: Uint8Array } {
  for (const key of Object.keys(event)) {
    const value = event[key];
    if (key === 'data' || value === undefined || value === null) continue;
    if (key === 'datacontenttype') into.set('content-type', percentEncode(String(value)));
    else into.set(PREFIX + key, percentEncode(String(value)));
  }
  const data = event.data;
  if (event.datacontenttype === undefined && data !== undefined && !(data instanceof Uint8Array)) {
    into.set('content-type', 'application/json');
  }
  return { headers: into, body: encodeData(data, event.datacontenttype) };
}

/** True when the headers carry a binary-mode CloudEvent. */
export function isBinaryMode(headers: MsgHdrs | undefined): boolean {
  if (headers === undefined) return false;
  // a binary-mode event has at least ce-specversion, ce-id, ce-source and ce-type
  const size = (headers as { size?: () => number }).size?.();
  if (size !== undefined && size < 4) return false;
  if (headers.has('ce-specversion')) return true;
  for (const key of headers.keys()) if (key.toLowerCase() === 'ce-specversion') return true;
  return false;
}

/** The event carried by `ce-*` headers and a body; InvalidMessageError when it is not one. */
export function decodeBinary(headers: MsgHdrs, body: Uint8Array): CloudEvent {
  const event: Record<string, unknown> = {};
  let contentType: string | undefined;
  for (const key of headers.keys()) {
    const lower = key.toLowerCase();
    if (lower === 'content-type') contentType = percentDecode(headers.get(key));
    else if (lower.startsWith(PREFIX) && lower.length > PREFIX.length) {
      event[lower.slice(PREFIX.length)] = percentDecode(headers.get(key));
    }
  }
  if (contentType !== undefined) event['datacontenttype'] = contentType;
  const checked = checkReceivedEvent(event);
  if (body.length > 0) checked.data = decodeData(body, contentType);
  return checked;
}

function encodeData(data: unknown, contentType: string | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string' && !isJson(contentType)) return Buffer.from(data);
  return Buffer.from(JSON.stringify(data));
}

function decodeData(body: Uint8Array, contentType: string | undefined): unknown {
  if (isJson(contentType)) {
    try {
      return JSON.parse(textOf(body));
    } catch (error) {
      if (error instanceof InvalidMessageError) throw error;
      throw new InvalidMessageError('invalid_json', 'binary-mode data is not valid JSON', { cause: error });
    }
  }
  if (contentType?.startsWith('text/')) return textOf(body);
  return Buffer.from(body);
}

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/** Percent-encodes the UTF-8 bytes a header value may not carry as they are. */
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

/** Reverses {@link percentEncode}; a malformed escape makes the event invalid. */
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
