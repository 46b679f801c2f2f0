/**
 * Decoders for OTLP/JSON export requests (traces and logs). Ids are hex as the OTLP/JSON mapping
 * says (base64 from some encoders is converted too); 64-bit integers may be strings or numbers; enums
 * may be numbers or their names. A body of the wrong shape throws `MALFORMED_JSON`.
 */
import { TraceViewerError } from './errors.ts';
import type { OtlpAnyValue, OtlpAttributes, OtlpLogRecord, OtlpSpan } from './otlp-types.ts';
import { setAttribute } from './attribute-map.ts';

type Json = Record<string, unknown>;

const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_CODES = ['UNSET', 'OK', 'ERROR'];

const malformed = (what: string) => new TraceViewerError('MALFORMED_JSON', `malformed OTLP/JSON: ${what}`);

function object(value: unknown, what: string): Json {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw malformed(`${what} is not an object`);
  return value as Json;
}

function list(value: unknown, what: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw malformed(`${what} is not an array`);
  return value;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** An enum as a number, or by its name with an optional `PREFIX_` (`SPAN_KIND_SERVER`). */
function enumValue(value: unknown, names: readonly string[], prefix: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string') return 0;
  const index = names.indexOf(value.startsWith(prefix) ? value.slice(prefix.length) : value);
  return index >= 0 ? index : Number.parseInt(value, 10) || 0;
}

function nanos(value: unknown): bigint {
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value));
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value);
  return 0n;
}

function id(value: unknown): string {
  const text = str(value);
  if (text === '') return '';
  return /^[0-9a-f]+$/i.test(text) ? text.toLowerCase() : Buffer.from(text, 'base64').toString('hex');
}

function anyValue(raw: unknown, depth: number): OtlpAnyValue {
  if (depth > 64) throw malformed('values nested too deeply');
  const v = object(raw, 'value');
  if (v['stringValue'] !== undefined) return str(v['stringValue']);
  if (v['boolValue'] !== undefined) return v['boolValue'] === true;
  if (v['intValue'] !== undefined) return Number(v['intValue']);
  if (v['doubleValue'] !== undefined) return Number(v['doubleValue']);
  if (v['bytesValue'] !== undefined) return id(v['bytesValue']);
  if (v['arrayValue'] !== undefined) {
    return list(object(v['arrayValue'], 'arrayValue')['values'], 'values').map((x) => anyValue(x, depth + 1));
  }
  if (v['kvlistValue'] !== undefined) return attributes(object(v['kvlistValue'], 'kvlistValue')['values'], depth + 1);
  return null;
}

function attributes(raw: unknown, depth = 0): OtlpAttributes {
  const out: OtlpAttributes = {};
  for (const item of list(raw, 'attributes')) {
    const kv = object(item, 'attribute');
    setAttribute(out, str(kv['key']), anyValue(kv['value'], depth));
  }
  return out;
}

/** Walks resource groups → scope groups → items, the shape traces and logs share. */
function walk<T>(
  doc: unknown,
  groupsKey: string,
  scopesKey: string,
  itemsKey: string,
  item: (raw: Json, resource: OtlpAttributes, scope: string) => T,
): T[] {
  const out: T[] = [];
  for (const rawGroup of list(object(doc, 'request')[groupsKey], groupsKey)) {
    const group = object(rawGroup, groupsKey);
    const resource = attributes(object(group['resource'], 'resource')['attributes']);
    for (const rawScope of list(group[scopesKey], scopesKey)) {
      const scopeGroup = object(rawScope, scopesKey);
      const scope = str(object(scopeGroup['scope'], 'scope')['name']);
      for (const raw of list(scopeGroup[itemsKey], itemsKey)) out.push(item(object(raw, itemsKey), resource, scope));
    }
  }
  return out;
}

function span(s: Json, resource: OtlpAttributes, scope: string): OtlpSpan {
  const status = object(s['status'], 'status');
  return {
    traceId: id(s['traceId']),
    spanId: id(s['spanId']),
    parentSpanId: id(s['parentSpanId']),
    traceState: str(s['traceState']),
    name: str(s['name']),
    kind: enumValue(s['kind'], SPAN_KINDS, 'SPAN_KIND_'),
    startTimeUnixNano: nanos(s['startTimeUnixNano']),
    endTimeUnixNano: nanos(s['endTimeUnixNano']),
    attributes: attributes(s['attributes']),
    events: list(s['events'], 'events').map((raw) => {
      const e = object(raw, 'event');
      return { name: str(e['name']), timeUnixNano: nanos(e['timeUnixNano']), attributes: attributes(e['attributes']) };
    }),
    links: list(s['links'], 'links').map((raw) => {
      const l = object(raw, 'link');
      return { traceId: id(l['traceId']), spanId: id(l['spanId']), attributes: attributes(l['attributes']) };
    }),
    status: { code: enumValue(status['code'], STATUS_CODES, 'STATUS_CODE_'), message: str(status['message']) },
    resource,
    scope,
  };
}

function logRecord(l: Json, resource: OtlpAttributes, scope: string): OtlpLogRecord {
  const time = nanos(l['timeUnixNano']);
  return {
    traceId: id(l['traceId']),
    spanId: id(l['spanId']),
    timeUnixNano: time === 0n ? nanos(l['observedTimeUnixNano']) : time,
    severityNumber: enumValue(l['severityNumber'], [], 'SEVERITY_NUMBER_'),
    severityText: str(l['severityText']),
    body: l['body'] === undefined ? null : anyValue(l['body'], 0),
    attributes: attributes(l['attributes']),
    resource,
    scope,
  };
}

/** Decodes a parsed OTLP/JSON ExportTraceServiceRequest into flat spans. */
export function decodeTraceJson(doc: unknown): OtlpSpan[] {
  return walk(doc, 'resourceSpans', 'scopeSpans', 'spans', span);
}

/** Decodes a parsed OTLP/JSON ExportLogsServiceRequest into flat log records. */
export function decodeLogsJson(doc: unknown): OtlpLogRecord[] {
  return walk(doc, 'resourceLogs', 'scopeLogs', 'logRecords', logRecord);
}
