/**
 * A small decoder for OTLP/protobuf ExportTraceServiceRequest, enough for tests to read what an
 * exporter sent: spans with ids, names, kinds, times, attributes, events, links and status.
 */
import type { OtlpAnyValue, OtlpAttributes, OtlpSpan } from './otlp-types.ts';

class Reader {
  pos = 0;
  readonly buf: Uint8Array;
  readonly end: number;
  constructor(buf: Uint8Array, end = buf.length) {
    this.buf = buf;
    this.end = end;
  }
  done(): boolean {
    return this.pos >= this.end;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  bytes(): Uint8Array {
    const len = Number(this.varint());
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  sub(): Reader {
    const len = Number(this.varint());
    const reader = new Reader(this.buf, this.pos + len);
    reader.pos = this.pos;
    this.pos += len;
    return reader;
  }
  fixed64(): bigint {
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return view.getBigUint64(0, true);
  }
  double(): number {
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return view.getFloat64(0, true);
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) {
      // Read the length first: `this.pos += …` would add it to the position from before the varint.
      const length = Number(this.varint());
      this.pos += length;
    } else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
  *fields(): Generator<[number, number]> {
    while (this.pos < this.end) {
      const tag = Number(this.varint());
      yield [tag >>> 3, tag & 7];
    }
  }
}

const text = new TextDecoder();
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function anyValue(r: Reader): OtlpAnyValue {
  let value: OtlpAnyValue = null;
  for (const [field, wire] of r.fields()) {
    if (field === 1) value = text.decode(r.bytes());
    else if (field === 2) value = r.varint() !== 0n;
    else if (field === 3) value = Number(BigInt.asIntN(64, r.varint()));
    else if (field === 4) value = r.double();
    else if (field === 5) {
      const arr: OtlpAnyValue[] = [];
      const sub = r.sub();
      for (const [f, w] of sub.fields()) {
        if (f === 1) arr.push(anyValue(sub.sub()));
        else sub.skip(w);
      }
      value = arr;
    } else if (field === 6) {
      const sub = r.sub();
      const obj: OtlpAttributes = {};
      for (const [f, w] of sub.fields()) {
        if (f === 1) keyValue(sub.sub(), obj);
        else sub.skip(w);
      }
      value = obj;
    } else if (field === 7) value = hex(r.bytes());
    else r.skip(wire);
  }
  return value;
}

function keyValue(r: Reader, into: OtlpAttributes): void {
  let key = '';
  let value: OtlpAnyValue = null;
  for (const [field, wire] of r.fields()) {
    if (field === 1) key = text.decode(r.bytes());
    else if (field === 2) value = anyValue(r.sub());
    else r.skip(wire);
  }
  into[key] = value;
}

function attributesOf(r: Reader, field1: number): OtlpAttributes {
  const attrs: OtlpAttributes = {};
  for (const [field, wire] of r.fields()) {
    if (field === field1) keyValue(r.sub(), attrs);
    else r.skip(wire);
  }
  return attrs;
}

function span(r: Reader, resource: OtlpAttributes, scope: string): OtlpSpan {
  const s: OtlpSpan = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    events: [],
    links: [],
    status: { code: 0, message: '' },
    resource,
    scope,
  };
  for (const [field, wire] of r.fields()) {
    switch (field) {
      case 1:
        s.traceId = hex(r.bytes());
        break;
      case 2:
        s.spanId = hex(r.bytes());
        break;
      case 3:
        s.traceState = text.decode(r.bytes());
        break;
      case 4:
        s.parentSpanId = hex(r.bytes());
        break;
      case 5:
        s.name = text.decode(r.bytes());
        break;
      case 6:
        s.kind = Number(r.varint());
        break;
      case 7:
        s.startTimeUnixNano = r.fixed64();
        break;
      case 8:
        s.endTimeUnixNano = r.fixed64();
        break;
      case 9:
        keyValue(r.sub(), s.attributes);
        break;
      case 11: {
        const e = r.sub();
        const event = { name: '', attributes: {} as OtlpAttributes };
        for (const [f, w] of e.fields()) {
          if (f === 2) event.name = text.decode(e.bytes());
          else if (f === 3) keyValue(e.sub(), event.attributes);
          else e.skip(w);
        }
        s.events.push(event);
        break;
      }
      case 13: {
        const l = r.sub();
        const link = { traceId: '', spanId: '', attributes: {} as OtlpAttributes };
        for (const [f, w] of l.fields()) {
          if (f === 1) link.traceId = hex(l.bytes());
          else if (f === 2) link.spanId = hex(l.bytes());
          else if (f === 4) keyValue(l.sub(), link.attributes);
          else l.skip(w);
        }
        s.links.push(link);
        break;
      }
      case 15: {
        const st = r.sub();
        for (const [f, w] of st.fields()) {
          if (f === 2) s.status.message = text.decode(st.bytes());
          else if (f === 3) s.status.code = Number(st.varint());
          else st.skip(w);
        }
        break;
      }
      default:
        r.skip(wire);
    }
  }
  return s;
}

/** Decodes an OTLP/protobuf trace export request body into flat spans. */
export function decodeTraceRequest(body: Uint8Array): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  const root = new Reader(body);
  for (const [field, wire] of root.fields()) {
    if (field !== 1) {
      root.skip(wire);
      continue;
    }
    const rs = root.sub();
    let resource: OtlpAttributes = {};
    const scopeReaders: Reader[] = [];
    for (const [f, w] of rs.fields()) {
      if (f === 1) resource = attributesOf(rs.sub(), 1);
      else if (f === 2) scopeReaders.push(rs.sub());
      else rs.skip(w);
    }
    for (const ss of scopeReaders) {
      let scope = '';
      const spanReaders: Reader[] = [];
      for (const [f, w] of ss.fields()) {
        if (f === 1) {
          const sc = ss.sub();
          for (const [g, w2] of sc.fields()) {
            if (g === 1) scope = text.decode(sc.bytes());
            else sc.skip(w2);
          }
        } else if (f === 2) spanReaders.push(ss.sub());
        else ss.skip(w);
      }
      for (const sr of spanReaders) spans.push(span(sr, resource, scope));
    }
  }
  return spans;
}
