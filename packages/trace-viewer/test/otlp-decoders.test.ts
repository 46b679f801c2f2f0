import { describe, expect, it } from 'vitest';
import { decodeLogsJson, decodeTraceJson } from '../src/otlp-json.ts';
import { decodeLogsRequest, decodeTraceRequest } from '../src/otlp-protobuf.ts';
import { sdkRequests } from './sdk-requests.ts';

const made = await sdkRequests();
const json = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;

describe('OTLP decoders, on requests the SDK serializers made', () => {
  it.each([
    ['protobuf', () => decodeTraceRequest(made.traces.protobuf)],
    ['JSON', () => decodeTraceJson(json(made.traces.json))],
  ])('%s traces: ids, kinds, status, exception event, link and resource', (_encoding, decode) => {
    const spans = decode();
    const child = spans.find((s) => s.spanId === made.childSpanId)!;
    expect(child).toMatchObject({
      traceId: made.traceId,
      parentSpanId: made.parentSpanId,
      name: 'publish order.created',
      kind: 4,
      status: { code: 2, message: 'no route to NATS' },
      resource: { 'service.name': 'checkout' },
      scope: 'test-scope',
    });
    expect(child.events[0]).toMatchObject({
      name: 'exception',
      attributes: { 'exception.type': 'TypeError', 'exception.message': 'no route to NATS' },
    });
    expect(child.events[0]!.timeUnixNano).toBeGreaterThan(0n);
    expect(child.links).toEqual([
      { traceId: made.linkedTraceId, spanId: made.linkedSpanId, attributes: { 'link.reason': 'creation' } },
    ]);
    const parent = spans.find((s) => s.spanId === made.parentSpanId)!;
    expect(parent.attributes).toEqual({ 'http.route': '/orders' });
    expect(parent.endTimeUnixNano).toBeGreaterThanOrEqual(parent.startTimeUnixNano);
  });

  it.each([
    ['protobuf', () => decodeLogsRequest(made.logs.protobuf)],
    ['JSON', () => decodeLogsJson(json(made.logs.json))],
  ])('%s logs: the record carries its span ids, severity, body and attributes', (_encoding, decode) => {
    expect(decode()).toEqual([
      expect.objectContaining({
        traceId: made.traceId,
        spanId: made.childSpanId,
        severityNumber: 17,
        severityText: 'ERROR',
        body: 'publish failed',
        attributes: { subject: 'order.created' },
        resource: expect.objectContaining({ 'service.name': 'checkout' }),
      }),
    ]);
  });

  it('keeps attributes named __proto__ or constructor as ordinary attributes, in both encodings', () => {
    // protobuf by hand: Request{ResourceSpans{ScopeSpans{Span{trace id, span id, name, attributes}}}}
    const len = (field: number, bytes: Uint8Array) => Uint8Array.of((field << 3) | 2, bytes.length, ...bytes);
    const str = (field: number, s: string) => len(field, new TextEncoder().encode(s));
    const kv = (key: string, nested: Uint8Array) => len(9, Uint8Array.of(...str(1, key), ...len(2, nested)));
    const kvlist = len(6, len(1, Uint8Array.of(...str(1, 'polluted'), ...len(2, str(1, 'yes')))));
    const span = Uint8Array.of(
      ...len(1, new Uint8Array(16).fill(0xab)),
      ...len(2, new Uint8Array(8).fill(0xcd)),
      ...str(5, 'x'),
      ...kv('__proto__', kvlist),
      ...kv('constructor', str(1, 'c')),
    );
    const [fromProtobuf] = decodeTraceRequest(len(1, len(2, len(2, span))));
    const attribute = (key: string, value: unknown) => ({ key, value });
    const [fromJson] = decodeTraceJson({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: 'ab'.repeat(16),
                  spanId: 'cd'.repeat(8),
                  name: 'x',
                  attributes: [
                    attribute('__proto__', {
                      kvlistValue: { values: [attribute('polluted', { stringValue: 'yes' })] },
                    }),
                    attribute('constructor', { stringValue: 'c' }),
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    for (const decoded of [fromProtobuf!, fromJson!]) {
      expect(Object.keys(decoded.attributes)).toEqual(['__proto__', 'constructor']);
      expect(JSON.parse(JSON.stringify(decoded.attributes))).toEqual(
        JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": "c"}'),
      );
      expect(Object.getPrototypeOf(decoded.attributes)).toBe(Object.prototype);
    }
  });

  it('refuses truncated, overlong and nonsense protobuf with MALFORMED_PROTOBUF', () => {
    const truncated = made.traces.protobuf.subarray(0, made.traces.protobuf.length - 3);
    for (const body of [
      truncated,
      Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0x0f),
      Uint8Array.of(0x0b),
      Uint8Array.of(0x00),
    ]) {
      expect(() => decodeTraceRequest(body)).toThrow(expect.objectContaining({ code: 'MALFORMED_PROTOBUF' }));
    }
  });

  it('refuses deeply nested values instead of overflowing the stack', () => {
    // AnyValue{kvlist{KeyValue{value: AnyValue{...}}}} nested 10 000 times inside one log body.
    let value: unknown = { stringValue: 'x' };
    for (let i = 0; i < 10_000; i++) value = { kvlistValue: { values: [{ key: 'k', value }] } };
    const doc = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: value }] }] }] };
    expect(() => decodeLogsJson(doc)).toThrow(expect.objectContaining({ code: 'MALFORMED_JSON' }));
  });

  it('refuses JSON of the wrong shape with MALFORMED_JSON', () => {
    for (const doc of [{ resourceSpans: 'x' }, { resourceSpans: [{ scopeSpans: [{ spans: [7] }] }] }, 'text']) {
      expect(() => decodeTraceJson(doc)).toThrow(expect.objectContaining({ code: 'MALFORMED_JSON' }));
    }
  });
});
