import type { MsgHdrs } from '@nats-io/transport-node';

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

  private constructor(values: Map<string, string[]>) {
    this.#values = values;
  }

  /**
   * The block `raw[0..length)` read line by line as nats.js's `MsgHdrsImpl.decode` does (UTF-8, a
   * name up to the first colon, the value trimmed); undefined where that decode would throw (a name
   * outside printable ASCII, a CR or LF inside a value), so the caller's nats.js decode fails the same way.
   */
  static read(raw: Uint8Array, length: number): ReceivedHeaders | undefined {
    const lines = decoder.decode(raw.subarray(0, length)).split('\r\n');
    const values = new Map<string, string[]>();
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon === -1) continue;
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
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

  values(name: string): string[] {
    return [...(this.#values.get(name) ?? [])];
  }

  keys(): string[] {
    return [...this.#values.keys()];
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
