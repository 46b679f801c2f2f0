import { TraceFlags, createTraceState, type Span, type SpanContext } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { completeEvent } from '../src/envelope.ts';
import { encodeOutgoing, structuredHeaders } from '../src/outgoing.ts';
import { PrebuiltHeaders } from '../src/prebuilt-headers.ts';
import type { EventInput } from '../src/types.ts';

// A publish writes its header block as one string (binary mode, JetStream with Nats-Msg-Id); it must
// be byte-identical to what nats.js encodes for the same headers built one by one.
type Encodable = MsgHdrs & { encode(): Uint8Array };

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const spanContext = fc.option(
  fc.record({
    traceId: hex(32).filter((v) => /[1-9a-f]/.test(v)),
    spanId: hex(16).filter((v) => /[1-9a-f]/.test(v)),
    traceFlags: fc.constantFrom(TraceFlags.NONE, TraceFlags.SAMPLED),
    state: fc.option(fc.constantFrom('vendor=a1', 'a=1,b=2'), { nil: undefined }),
  }),
  { nil: undefined },
);
const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 });
const extensionValue = fc.oneof(text, fc.boolean(), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
const input = fc.record(
  {
    type: text,
    subject: text,
    dataschema: text,
    id: text,
    data: fc.oneof(
      fc.jsonValue(),
      fc.uint8Array({ maxLength: 16 }),
      fc.constant(undefined),
      fc.string({ maxLength: 20 }),
    ),
    datacontenttype: fc.constantFrom('text/plain', 'application/json', 'application/xml; charset=utf-8'),
    extensions: fc.dictionary(fc.stringMatching(/^[a-z0-9]{1,8}$/), extensionValue, { maxKeys: 4 }),
  },
  { requiredKeys: ['type', 'extensions'] },
);

/** Caller headers as `checkExtraHeaders` lets them through: tokens outside natsbus's names, no line breaks. */
const headerValue = fc.string({
  unit: fc.oneof(fc.constantFrom(' ', '\t', 'x', 'Y', '1', '"'), fc.constantFrom('é', '😀')),
  maxLength: 8,
});
const extra = fc.option(
  fc.dictionary(
    fc
      .stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,10}$/)
      .filter((name) => !/^(content-type|traceparent|tracestate|ce-|nats-|natsbus-)/i.test(name)),
    fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })),
    { maxKeys: 3 },
  ),
  { nil: undefined },
);

function spanOf(sc: { traceId: string; spanId: string; traceFlags: number; state: string | undefined } | undefined) {
  const context: SpanContext = sc
    ? {
        traceId: sc.traceId,
        spanId: sc.spanId,
        traceFlags: sc.traceFlags,
        ...(sc.state ? { traceState: createTraceState(sc.state) } : {}),
      }
    : { traceId: '00000000000000000000000000000000', spanId: '0000000000000000', traceFlags: 0 };
  return { spanContext: () => context } as unknown as Span;
}

describe('pre-written publish header blocks', () => {
  it('are byte-identical to nats.js encoding the headers built one by one: both modes, core and JetStream, caller headers', () => {
    fc.assert(
      fc.property(
        input,
        spanContext,
        fc.constantFrom('binary', 'structured'),
        fc.boolean(),
        extra,
        (generated, sc, mode, js, callerHeaders) => {
          const { extensions, ...attributes } = generated;
          const reserved = new Set(['specversion', 'id', 'source', 'type', 'time', 'data', 'subject', 'dataschema']);
          const own = Object.fromEntries(Object.entries(extensions).filter(([k]) => !reserved.has(k)));
          let event;
          try {
            event = completeEvent({ ...own, ...attributes } as EventInput, '/src');
          } catch {
            return; // refused before encoding (not a CloudEvents String): nothing reaches the wire
          }
          const msgId = js ? event.id : undefined;
          const fast = encodeOutgoing({ ...event }, spanOf(sc), false, mode, structuredHeaders(), callerHeaders, msgId);
          // what nats.js sent before: headers built one by one, JetStream's client then setting Nats-Msg-Id
          const slow = encodeOutgoing({ ...event }, spanOf(sc), false, mode, undefined, callerHeaders);
          if (msgId !== undefined) slow.headers!.set('Nats-Msg-Id', msgId);
          const fastBlock = Buffer.from((fast.headers as Encodable).encode());
          const slowBlock = Buffer.from((slow.headers as Encodable).encode());
          expect(fastBlock.toString('latin1')).toBe(slowBlock.toString('latin1'));
          expect(Buffer.from(fast.body).equals(Buffer.from(slow.body))).toBe(true);
          expect(fast.event).toEqual(slow.event);
          // read or changed, the pre-written headers answer as the built ones (the shared block of a
          // plain core publish is never changed: nothing but nats.js's encode sees it)
          expect(fast.headers!.get('ce-id')).toBe(slow.headers!.get('ce-id'));
          if (!(fast.headers instanceof PrebuiltHeaders)) return;
          fast.headers.set('Nats-Expected-Stream', 'x');
          slow.headers!.set('Nats-Expected-Stream', 'x');
          expect(
            Buffer.from((fast.headers as Encodable).encode()).equals(Buffer.from((slow.headers as Encodable).encode())),
          ).toBe(true);
        },
      ),
      { numRuns: 600 },
    );
  });
});
