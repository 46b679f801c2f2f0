import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import type { MsgInternals } from './internal-types.ts';

/** What natsbus reads from a received message's headers: exact-name lookups, as nats.js answers them. */
export type HeaderReader = Pick<MsgHdrs, 'get' | 'values' | 'keys'>;

const decoder = new TextDecoder();

/**
 * A received header block read once into the shape nats.js decodes it to (exact name → values, in
 * order), without nats.js's per-line and per-lookup scans of every name so far. Only for natsbus's
 * own reads; handlers still get nats.js's headers.
 */
export class ReceivedHeaders implements HeaderReader {
  readonly #values: Map<string, string[]>;
  #keys: string[] | undefined;

  private constructor(values: Map<string, string[]>) {
    this.#values = values;
  }

  /**
   * The block `raw[0..length)` read line by line as nats.js's `MsgHdrsImpl.decode` does (UTF-8, a
   * name up to the first colon, the value trimmed); undefined where that decode would throw (a name
   * outside printable ASCII, a CR or LF inside a value), so the caller's nats.js decode fails the same way.
   */
  static read(raw: Uint8Array, length: number): ReceivedHeaders | undefined {
    const text = decoder.decode(raw.subarray(0, length));
    const values = new Map<string, string[]>();
    // the lines after the first, split at CRLF as nats.js splits them
    for (let at = text.indexOf('\r\n'); at !== -1;) {
      const start = at + 2;
      at = text.indexOf('\r\n', start);
      const end = at === -1 ? text.length : at;
      const colon = text.indexOf(':', start);
      if (colon === -1 || colon >= end) continue;
      const name = text.slice(start, colon);
      const value = text.slice(colon + 1, end).trim();
      if (!isHeaderName(name) || value.includes('\r') || value.includes('\n')) return undefined;
      const list = values.get(name);
      if (list === undefined) values.set(name, [value]);
      else list.push(value);
    }
    return new ReceivedHeaders(values);
  }

  get(name: string): string {
    return this.#values.get(name)?.[0] ?? '';
  }

  /** The values of `name` (natsbus only reads them: not a copy). */
  values(name: string): string[] {
    return this.#values.get(name) ?? [];
  }

  /** The names in order (natsbus only reads them: one array, built on first use). */
  keys(): string[] {
    return (this.#keys ??= [...this.#values.keys()]);
  }
}

/** What nats.js accepts as a header name: printable ASCII without a colon (none can be in it here). */
function isHeaderName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 33 || c > 126) return false;
  }
  return true;
}

/** The headers of a received nats.js message for natsbus's own reads: its raw block read once, else nats.js's decode. */
export function readHeadersOf(msg: Msg): HeaderReader | undefined {
  const internals = msg as unknown as MsgInternals;
  const length = internals._msg?.hdr;
  const raw = internals._rdata;
  const read =
    length !== undefined && length > 0 && raw !== undefined && raw.length >= length
      ? ReceivedHeaders.read(raw, length)
      : undefined;
  return read ?? msg.headers;
}
