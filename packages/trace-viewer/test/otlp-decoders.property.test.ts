import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TraceViewerError } from '../src/errors.ts';
import { decodeLogsJson, decodeTraceJson } from '../src/otlp-json.ts';
import { decodeLogsRequest, decodeTraceRequest } from '../src/otlp-protobuf.ts';
import { sdkRequests } from './sdk-requests.ts';

const made = await sdkRequests();

/** Decodes, or fails with the decoder's own error: anything else would be a 500 or a crash. */
function decodesOrRefuses(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(TraceViewerError);
  }
}

/** A real request with some bytes overwritten, cut short or extended. */
const mutated = (body: Uint8Array) =>
  fc
    .record({
      edits: fc.array(fc.tuple(fc.nat(body.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      cut: fc.nat(body.length),
      tail: fc.uint8Array({ maxLength: 16 }),
    })
    .map(({ edits, cut, tail }) => {
      const out = Uint8Array.from(body);
      for (const [at, value] of edits) out[at] = value;
      return Uint8Array.from([...out.subarray(0, cut), ...tail]);
    });

describe('OTLP decoders on arbitrary input', () => {
  it('protobuf: random bytes and damaged real requests decode or are refused, never throw anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 256 }), mutated(made.traces.protobuf)), (body) =>
        decodesOrRefuses(() => decodeTraceRequest(body)),
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 256 }), mutated(made.logs.protobuf)), (body) =>
        decodesOrRefuses(() => decodeLogsRequest(body)),
      ),
      { numRuns: 2000 },
    );
  });

  it('JSON: any JSON value decodes or is refused, never throws anything else', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (doc) => {
        decodesOrRefuses(() => decodeTraceJson(doc));
        decodesOrRefuses(() => decodeLogsJson(doc));
        decodesOrRefuses(() => decodeTraceJson({ resourceSpans: [{ scopeSpans: [{ spans: [doc] }] }] }));
        decodesOrRefuses(() => decodeLogsJson({ resourceLogs: [{ scopeLogs: [{ logRecords: [doc] }] }] }));
      }),
      { numRuns: 2000 },
    );
  });
});
