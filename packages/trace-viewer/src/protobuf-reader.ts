import { TraceViewerError } from './errors.ts';

/** Deeper nesting than this (AnyValue inside AnyValue) is refused instead of recursing. */
const MAX_DEPTH = 64;

const malformed = (what: string) => new TraceViewerError('MALFORMED_PROTOBUF', `malformed protobuf: ${what}`);

/**
 * A bounds-checked protobuf reader over one message (a window of a shared buffer): every length is
 * checked against the window, so malformed input ends in one `MALFORMED_PROTOBUF` error, never a
 * silent short read.
 */
export class ProtobufReader {
  pos: number;
  readonly buf: Uint8Array;
  readonly end: number;
  readonly depth: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length, depth = 0) {
    if (depth > MAX_DEPTH) throw malformed('nested too deeply');
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.depth = depth;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed('truncated varint');
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
    throw malformed('varint longer than 10 bytes');
  }

  /** A varint that fits a JavaScript number (lengths, tags, enums). */
  uint(): number {
    const value = this.varint();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed('length out of range');
    return Number(value);
  }

  private take(length: number): number {
    if (length > this.end - this.pos) throw malformed('length beyond the end of its message');
    const start = this.pos;
    this.pos += length;
    return start;
  }

  bytes(): Uint8Array {
    const length = this.uint();
    const start = this.take(length);
    return this.buf.subarray(start, start + length);
  }

  /** The length-delimited message at the current position, as a reader of its own. */
  sub(): ProtobufReader {
    const length = this.uint();
    const start = this.take(length);
    return new ProtobufReader(this.buf, start, start + length, this.depth + 1);
  }

  fixed64(): bigint {
    const start = this.take(8);
    return new DataView(this.buf.buffer, this.buf.byteOffset + start, 8).getBigUint64(0, true);
  }

  double(): number {
    const start = this.take(8);
    return new DataView(this.buf.buffer, this.buf.byteOffset + start, 8).getFloat64(0, true);
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.take(8);
    else if (wireType === 2) this.take(this.uint());
    else if (wireType === 5) this.take(4);
    else throw malformed(`unsupported wire type ${wireType}`);
  }

  /** Yields `[field number, wire type]` of each field until the end of the message. */
  *fields(): Generator<[number, number]> {
    while (this.pos < this.end) {
      const tag = this.uint();
      const field = Math.floor(tag / 8);
      if (field === 0) throw malformed('field number 0');
      yield [field, tag & 7];
    }
  }
}
