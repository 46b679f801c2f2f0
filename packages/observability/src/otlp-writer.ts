/**
 * A protobuf writer for the OTLP span encoder: one growable buffer reused across requests, single
 * pass (a length prefix is reserved and shifted only when the guess was wrong), ASCII strings written
 * by char code, hex ids through a lookup table. Integer and time encodings follow the SDK's
 * `ProtobufWriter` exactly, so the bytes match its serializer. Hot methods keep only their common
 * case and call out for the rare one, so V8's inlining budget covers a whole span.
 */

const INITIAL_SIZE = 64 * 1024;
/** Beyond this a buffer grown by one huge request is dropped after use instead of kept. */
const RETAINED_SIZE = 4 * 1024 * 1024;
const KEY_CACHE_LIMIT = 2048;

/** Nibble of each char code below 256, as the SDK's `hexToBinary` computes it (garbage stays garbage). */
const HEX = new Int16Array(256);
for (let c = 0; c < 256; c++) HEX[c] = nibble(c);

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return c - 55;
}

/** Bytes of the minimal varint of an unsigned 32-bit length. */
function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Single-pass protobuf writer; `reset()` before each request, `copy()` to take the bytes out. */
export class OtlpWriter {
  buf: Buffer = Buffer.allocUnsafe(INITIAL_SIZE);
  pos = 0;
  /** Encoded `key` field (tag, length, UTF-8) of attribute names seen before. */
  private readonly keys = new Map<string, Uint8Array>();

  reset(): void {
    if (this.buf.length > RETAINED_SIZE) this.buf = Buffer.allocUnsafe(INITIAL_SIZE);
    this.pos = 0;
  }

  /** Writes on at the start of a fresh buffer of `size` bytes; views of the old one stay valid. */
  newSlab(size: number): void {
    this.buf = Buffer.allocUnsafeSlow(size);
    this.pos = 0;
  }

  /** A fresh copy of the bytes written since `reset()`, safe to hold across later requests. */
  copy(): Uint8Array {
    const out = new Uint8Array(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    return out;
  }

  /** Room for `n` more bytes; the growing is out of line so that this check inlines everywhere. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Reserves `reserve` bytes for a length prefix; returns where the message content starts. */
  begin(reserve: number): number {
    this.ensure(reserve);
    this.pos += reserve;
    return this.pos;
  }

  /** Writes the length of the message started at `start`, shifting it when the reserve was wrong. */
  end(start: number, reserve: number): void {
    const len = this.pos - start;
    if (reserve === 1 && len < 0x80) this.buf[start - 1] = len;
    else this.endLong(start, reserve, len);
  }

  private endLong(start: number, reserve: number, len: number): void {
    const size = varintSize(len);
    if (size !== reserve) {
      this.ensure(size - reserve);
      this.buf.copyWithin(start - reserve + size, start, this.pos);
      this.pos += size - reserve;
    }
    let p = start - reserve;
    let v = len;
    while (v > 0x7f) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p] = v;
  }

  /** The SDK's `writeVarint`: uint32 fast path, else 64-bit two's complement (10 bytes if negative). */
  varint(value: number): void {
    if (value >= 0 && value < 0x80) {
      this.byte(value);
      return;
    }
    this.varintLong(value);
  }

  private varintLong(value: number): void {
    this.ensure(10);
    const b = this.buf;
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 0x7f) {
        b[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      b[this.pos++] = v;
      return;
    }
    const abs = value >= 0 ? value : Math.abs(value);
    let low = abs >>> 0;
    let high = (abs / 4294967296) >>> 0;
    if (!(value >= 0)) {
      low = ~low >>> 0;
      high = ~high >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 0x7f) {
      b[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    b[this.pos++] = low & 0x7f;
  }

  fixed32(value: number): void {
    this.ensure(4);
    const v = value >>> 0;
    const b = this.buf;
    b[this.pos++] = v & 0xff;
    b[this.pos++] = (v >>> 8) & 0xff;
    b[this.pos++] = (v >>> 16) & 0xff;
    b[this.pos++] = v >>> 24;
  }

  /** HrTime `[seconds, nanos]` as fixed64 nanoseconds, without BigInt (the SDK's arithmetic). */
  hrTime(time: readonly [number, number]): void {
    const seconds = time[0];
    const lower16 = (seconds & 0xffff) * 1e9;
    const upper = ((seconds / 0x10000) >>> 0) * 1e9;
    const low = (lower16 >>> 0) + (((upper & 0xffff) * 0x10000) >>> 0) + time[1];
    const high = (Math.floor(lower16 / 4294967296) + ((upper / 0x10000) >>> 0) + Math.floor(low / 4294967296)) >>> 0;
    this.fixed32(low >>> 0);
    this.fixed32(high);
  }

  /** A `double` field value: IEEE 754 binary64, little-endian as protobuf requires on every host. */
  double(value: number): void {
    this.ensure(8);
    this.pos = this.buf.writeDoubleLE(value, this.pos);
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** A hex trace or span id as a bytes field value (length + binary). */
  hexId(hex: string): void {
    const n = hex.length >>> 1;
    this.varint(n);
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n * 2; i += 2) {
      const hi = hex.charCodeAt(i);
      const lo = hex.charCodeAt(i + 1);
      b[p++] = ((hi < 256 ? HEX[hi]! : nibble(hi)) << 4) | (lo < 256 ? HEX[lo]! : nibble(lo));
    }
    this.pos = p;
  }

  /**
   * A string field value (length + UTF-8). Short ASCII, the common case, stays small enough for V8 to
   * inline into the encoder; anything else takes {@link stringLong}.
   */
  string(s: string): void {
    const n = s.length;
    if (n < 0x80) {
      this.ensure(n + 1);
      const b = this.buf;
      let p = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        b[p++] = c;
      }
      if (i === n) {
        b[this.pos] = n;
        this.pos = p;
        return;
      }
    }
    this.stringLong(s);
  }

  /** A string of 128 chars or more, or with a char of 0x80 or above: one native UTF-8 write. */
  private stringLong(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    this.ensure(len + 5);
    this.writeLength(len, varintSize(len));
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }

  /** The `key` field (tag 1) of a KeyValue, from a bounded cache of encoded attribute names. */
  key(key: string): void {
    let encoded = this.keys.get(key);
    if (encoded === undefined) {
      const start = this.pos;
      this.byte(0x0a);
      this.string(key);
      if (this.keys.size >= KEY_CACHE_LIMIT) return;
      encoded = new Uint8Array(this.buf.subarray(start, this.pos));
      this.keys.set(key, encoded);
      return;
    }
    this.ensure(encoded.length);
    this.buf.set(encoded, this.pos);
    this.pos += encoded.length;
  }

  private writeLength(len: number, size: number): void {
    let p = this.pos;
    let v = len;
    for (let k = 1; k < size; k++) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p] = v;
    this.pos = p + 1;
  }
}
