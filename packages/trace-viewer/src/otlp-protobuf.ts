/**
 * Decoders for OTLP/protobuf export requests (traces and logs), enough to show what an exporter sent:
 * ids, names, kinds, times, attributes, events, links, status, and log records with their span ids.
 * Malformed input throws a `TraceViewerError` (`MALFORMED_PROTOBUF`).
 */
import type {
  OtlpAnyValue,
  OtlpAttributes,
  OtlpLogRecord,
  OtlpSpan,
  OtlpSpanEvent,
  OtlpSpanLink,
} from './otlp-types.ts';
import { ProtobufReader } from './protobuf-reader.ts';
import { setAttribute } from './attribute-map.ts';

type Reader = ProtobufReader;

const text = new TextDecoder();
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function anyValue(r: Reader): OtlpAnyValue {
  let value: OtlpAnyValue = null;
  for (const [field, wire] of r.fields()) {
    if (field === 1 && wire === 2) value = text.decode(r.bytes());
    else if (field === 2 && wire === 0) value = r.varint() !== 0n;
    else if (field === 3 && wire === 0) value = Number(BigInt.asIntN(64, r.varint()));
    else if (field === 4 && wire === 1) value = r.double();
    else if (field === 5 && wire === 2) {
      const arr: OtlpAnyValue[] = [];
      const sub = r.sub();
      for (const [f, w] of sub.fields()) {
        if (f === 1 && w === 2) arr.push(anyValue(sub.sub()));
        else sub.skip(w);
      }
      value = arr;
    } else if (field === 6 && wire === 2) value = attributesOf(r.sub(), 1);
    else if (field === 7 && wire === 2) value = hex(r.bytes());
    else r.skip(wire);
  }
  return value;
}

function keyValue(r: Reader, into: OtlpAttributes): void {
  let key = '';
  let value: OtlpAnyValue = null;
  for (const [field, wire] of r.fields()) {
    if (field === 1 && wire === 2) key = text.decode(r.bytes());
    else if (field === 2 && wire === 2) value = anyValue(r.sub());
    else r.skip(wire);
  }
  setAttribute(into, key, value);
}

/** The KeyValue list in field `listField` of the message `r`. */
function attributesOf(r: Reader, listField: number): OtlpAttributes {
  const attrs: OtlpAttributes = {};
  for (const [field, wire] of r.fields()) {
    if (field === listField && wire === 2) keyValue(r.sub(), attrs);
    else r.skip(wire);
  }
  return attrs;
}

function event(r: Reader): OtlpSpanEvent {
  const e: OtlpSpanEvent = { name: '', timeUnixNano: 0n, attributes: {} };
  for (const [f, w] of r.fields()) {
    if (f === 1 && w === 1) e.timeUnixNano = r.fixed64();
    else if (f === 2 && w === 2) e.name = text.decode(r.bytes());
    else if (f === 3 && w === 2) keyValue(r.sub(), e.attributes);
    else r.skip(w);
  }
  return e;
}

function link(r: Reader): OtlpSpanLink {
  const l: OtlpSpanLink = { traceId: '', spanId: '', attributes: {} };
  for (const [f, w] of r.fields()) {
    if (f === 1 && w === 2) l.traceId = hex(r.bytes());
    else if (f === 2 && w === 2) l.spanId = hex(r.bytes());
    else if (f === 4 && w === 2) keyValue(r.sub(), l.attributes);
    else r.skip(w);
  }
  return l;
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
    if (field === 1 && wire === 2) s.traceId = hex(r.bytes());
    else if (field === 2 && wire === 2) s.spanId = hex(r.bytes());
    else if (field === 3 && wire === 2) s.traceState = text.decode(r.bytes());
    else if (field === 4 && wire === 2) s.parentSpanId = hex(r.bytes());
    else if (field === 5 && wire === 2) s.name = text.decode(r.bytes());
    else if (field === 6 && wire === 0) s.kind = r.uint();
    else if (field === 7 && wire === 1) s.startTimeUnixNano = r.fixed64();
    else if (field === 8 && wire === 1) s.endTimeUnixNano = r.fixed64();
    else if (field === 9 && wire === 2) keyValue(r.sub(), s.attributes);
    else if (field === 11 && wire === 2) s.events.push(event(r.sub()));
    else if (field === 13 && wire === 2) s.links.push(link(r.sub()));
    else if (field === 15 && wire === 2) {
      const st = r.sub();
      for (const [f, w] of st.fields()) {
        if (f === 2 && w === 2) s.status.message = text.decode(st.bytes());
        else if (f === 3 && w === 0) s.status.code = st.uint();
        else st.skip(w);
      }
    } else r.skip(wire);
  }
  return s;
}

function logRecord(r: Reader, resource: OtlpAttributes, scope: string): OtlpLogRecord {
  const l: OtlpLogRecord = {
    traceId: '',
    spanId: '',
    timeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: null,
    attributes: {},
    resource,
    scope,
  };
  let observed = 0n;
  for (const [field, wire] of r.fields()) {
    if (field === 1 && wire === 1) l.timeUnixNano = r.fixed64();
    else if (field === 2 && wire === 0) l.severityNumber = r.uint();
    else if (field === 3 && wire === 2) l.severityText = text.decode(r.bytes());
    else if (field === 5 && wire === 2) l.body = anyValue(r.sub());
    else if (field === 6 && wire === 2) keyValue(r.sub(), l.attributes);
    else if (field === 9 && wire === 2) l.traceId = hex(r.bytes());
    else if (field === 10 && wire === 2) l.spanId = hex(r.bytes());
    else if (field === 11 && wire === 1) observed = r.fixed64();
    else r.skip(wire);
  }
  if (l.timeUnixNano === 0n) l.timeUnixNano = observed;
  return l;
}

/**
 * Walks ExportTraceServiceRequest / ExportLogsServiceRequest, which share one shape:
 * field 1 resource groups { 1 resource, 2 scope groups { 1 scope, 2 items } }.
 */
function decodeRequest<T>(body: Uint8Array, item: (r: Reader, resource: OtlpAttributes, scope: string) => T): T[] {
  const out: T[] = [];
  const root = new ProtobufReader(body);
  for (const [field, wire] of root.fields()) {
    if (field !== 1 || wire !== 2) {
      root.skip(wire);
      continue;
    }
    const group = root.sub();
    let resource: OtlpAttributes = {};
    const scopeGroups: Reader[] = [];
    for (const [f, w] of group.fields()) {
      if (f === 1 && w === 2) resource = attributesOf(group.sub(), 1);
      else if (f === 2 && w === 2) scopeGroups.push(group.sub());
      else group.skip(w);
    }
    for (const sg of scopeGroups) {
      let scope = '';
      const items: Reader[] = [];
      for (const [f, w] of sg.fields()) {
        if (f === 1 && w === 2) {
          const sc = sg.sub();
          for (const [g, w2] of sc.fields()) {
            if (g === 1 && w2 === 2) scope = text.decode(sc.bytes());
            else sc.skip(w2);
          }
        } else if (f === 2 && w === 2) items.push(sg.sub());
        else sg.skip(w);
      }
      for (const ir of items) out.push(item(ir, resource, scope));
    }
  }
  return out;
}

/** Decodes an OTLP/protobuf ExportTraceServiceRequest body into flat spans. */
export function decodeTraceRequest(body: Uint8Array): OtlpSpan[] {
  return decodeRequest(body, span);
}

/** Decodes an OTLP/protobuf ExportLogsServiceRequest body into flat log records. */
export function decodeLogsRequest(body: Uint8Array): OtlpLogRecord[] {
  return decodeRequest(body, logRecord);
}
