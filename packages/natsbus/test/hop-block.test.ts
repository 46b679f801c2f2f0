import { MsgImpl } from '@nats-io/nats-core/internal';
import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoreMessage } from '../src/core-message.ts';
import { encodeHopBlock, readOwnHopBlock } from '../src/hop-block.ts';
import { structuredModeHeaders } from '../src/outgoing.ts';
import { readTraceHeader } from '../src/trace-headers.ts';

// The core publish header block is written from a template and recognised on receive by its
// layout: both must agree byte for byte with nats.js's own header encoding and decoding.
type Encodable = MsgHdrs & { encode(): Uint8Array };

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
/** What formatTraceparent writes: version 00, any ids, sampled or not. */
const traceparent = fc
  .tuple(hex(32), hex(16), fc.constantFrom('00', '01'))
  .map(([traceId, spanId, flags]) => `00-${traceId}-${spanId}-${flags}`);
const tracestate = fc.option(
  fc
    .array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/), fc.stringMatching(/^[!-+\--<>-~]{1,12}$/)), {
      minLength: 1,
      maxLength: 4,
    })
    .map((members) => members.map(([k, v]) => `${k}=${v}`).join(',')),
  { nil: undefined },
);

/** The block nats.js encodes for the same headers built as a header map. */
function natsEncoded(tp: string, ts: string | undefined): Uint8Array {
  return (structuredModeHeaders(tp, ts, undefined, undefined) as Encodable).encode();
}

/** A received message as nats.js hands it over: header block then body in one buffer. */
function received(block: Uint8Array): Msg {
  const body = Buffer.from('{}');
  const data = Buffer.concat([block, body]);
  return new MsgImpl(
    { subject: Buffer.from('s'), sid: 1, hdr: block.length, size: data.length },
    data,
    {} as never,
  ) as unknown as Msg;
}

function decodable(block: Uint8Array): MsgHdrs | undefined {
  try {
    return received(block).headers;
  } catch {
    return undefined;
  }
}

describe('hop header block', () => {
  it('is written byte-identical to nats.js encoding the same headers', () => {
    fc.assert(
      fc.property(traceparent, tracestate, (tp, ts) => {
        expect(Buffer.from(encodeHopBlock(tp, ts)).equals(Buffer.from(natsEncoded(tp, ts)))).toBe(true);
      }),
    );
  });

  it('is recognised on receive with the traceparent nats.js decodes from it', () => {
    fc.assert(
      fc.property(traceparent, (tp) => {
        const block = encodeHopBlock(tp, undefined);
        expect(readOwnHopBlock(block, block.length)).toBe(tp);
        const msg = new CoreMessage(received(block), 's', false);
        expect(msg.structuredOnly).toBe(true);
        expect(msg.hopTraceparent).toBe(readTraceHeader(received(block).headers, 'traceparent'));
        expect(msg.hopTracestate).toBeUndefined();
      }),
    );
  });

  it('is not recognised when any one byte differs, and the message then reads as nats.js decodes it', () => {
    fc.assert(
      fc.property(traceparent, fc.nat(), fc.integer({ min: 0x20, max: 0x7e }), (tp, at, byte) => {
        const block = Buffer.from(encodeHopBlock(tp, undefined));
        const index = at % block.length;
        fc.pre(block[index] !== byte);
        block[index] = byte;
        expect(readOwnHopBlock(block, block.length)).toBeUndefined();
        const msg = new CoreMessage(received(block), 's', false);
        // a lone \n inside a line makes nats.js's decode throw: nothing to compare with then
        const decoded = decodable(block);
        if (msg.structuredOnly && decoded !== undefined) {
          expect(msg.hopTraceparent).toBe(readTraceHeader(decoded, 'traceparent'));
          expect(msg.hopTracestate).toBe(readTraceHeader(decoded, 'tracestate'));
        }
      }),
    );
  });

  it('leaves blocks with tracestate, other lengths and foreign values to the general reading', () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const withState = encodeHopBlock(tp, 'vendor=a');
    expect(readOwnHopBlock(withState, withState.length)).toBeUndefined();
    const message = new CoreMessage(received(withState), 's', false);
    expect([message.hopTraceparent, message.hopTracestate]).toEqual([tp, 'vendor=a']);
    const upper = encodeHopBlock(tp.toUpperCase(), undefined);
    expect(readOwnHopBlock(upper, upper.length)).toBeUndefined();
    expect(new CoreMessage(received(upper), 's', false).hopTraceparent).toBe(tp.toUpperCase());
    const block = encodeHopBlock(tp, undefined);
    expect(readOwnHopBlock(block, block.length - 1)).toBeUndefined();
  });
});
