import { MsgHdrsImpl, MsgImpl } from '@nats-io/nats-core/internal';
import { headers as natsHeaders, type Msg, type MsgHdrs } from '@nats-io/transport-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoreMessage } from '../src/core-message.ts';
import { decodeIncoming } from '../src/incoming.ts';
import { encodeOutgoing } from '../src/outgoing.ts';
import { completeEvent } from '../src/envelope.ts';
import { ReceivedHeaders } from '../src/received-headers.ts';
import type { RawMessage } from '../src/internal-types.ts';
import type { Span } from '@opentelemetry/api';

// natsbus reads received header blocks itself, once; what it reads must be what nats.js decodes
// (and where nats.js's decode throws, natsbus must fall back to it and fail the same way).
const nameChar = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...'abcABC-_ce'.split('')) },
  { weight: 1, arbitrary: fc.constantFrom(' ', '\t', 'é', '\u007f', ':') },
);
const valueChar = fc.oneof(
  { weight: 15, arbitrary: fc.constantFrom(...'ab %20"\\1-'.split('')) },
  { weight: 1, arbitrary: fc.constantFrom(' ', '\t', '\n', '\r', 'é', '😀', '\u0000') },
);
const line = fc.oneof(
  {
    weight: 10,
    arbitrary: fc
      .tuple(fc.string({ unit: nameChar, maxLength: 8 }), fc.string({ unit: valueChar, maxLength: 10 }))
      .map(([n, v]) => `${n}:${v}`),
  },
  { weight: 1, arbitrary: fc.string({ unit: valueChar, maxLength: 6 }) },
);
const block = fc
  .tuple(fc.constantFrom('NATS/1.0', 'NATS/1.0 503', 'NATS/1.0 100 Idle Heartbeat'), fc.array(line, { maxLength: 8 }))
  .map(([status, lines]) => Buffer.from(`${status}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`));

function natsDecode(bytes: Uint8Array): MsgHdrs | 'throws' {
  try {
    return MsgHdrsImpl.decode(bytes) as MsgHdrs;
  } catch {
    return 'throws';
  }
}

describe('received header blocks read by natsbus', () => {
  it('read as nats.js decodes them, or not at all where its decode throws', () => {
    fc.assert(
      fc.property(
        block,
        fc.array(fc.constantFrom('ce-id', 'CE-ID', 'content-type', 'a', 'A', ''), { maxLength: 3 }),
        (bytes, probes) => {
          const ours = ReceivedHeaders.read(bytes, bytes.length);
          const theirs = natsDecode(bytes);
          if (theirs === 'throws') {
            expect(ours).toBeUndefined();
            return;
          }
          expect(ours).toBeDefined();
          expect(ours!.keys()).toEqual(theirs.keys());
          for (const name of [...theirs.keys(), ...probes]) {
            expect(ours!.get(name)).toBe(theirs.get(name));
            expect(ours!.values(name)).toEqual(theirs.values(name));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('decode a binary-mode message to the same event and hop as nats.js headers do', () => {
    const span = {
      spanContext: () => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }),
    } as unknown as Span;
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), fc.jsonValue(), (type, data) => {
        let event;
        try {
          event = completeEvent({ type, data, subject: `${type} x` }, '/src');
        } catch {
          return;
        }
        const out = encodeOutgoing(event, span, false, 'binary', undefined);
        const hdr = (out.headers as MsgHdrs & { encode(): Uint8Array }).encode();
        const all = Buffer.concat([hdr, out.body]);
        const msg = new MsgImpl(
          { subject: Buffer.from('s'), sid: 1, hdr: hdr.length, size: all.length } as never,
          all,
          {} as never,
        ) as unknown as Msg;
        const ours = decodeIncoming(new CoreMessage(msg, 's', false), false, undefined);
        const plain: RawMessage = { subject: 's', headers: msg.headers, data: msg.data };
        expect(ours).toEqual(decodeIncoming(plain, false, undefined));
        expect(ours.event.type).toBe(type);
      }),
      { numRuns: 200 },
    );
  });

  it('fall back to nats.js when the block has no header bytes', () => {
    const msg = new MsgImpl(
      { subject: Buffer.from('s'), sid: 1, hdr: -1, size: 2 } as never,
      Buffer.from('{}'),
      {} as never,
    ) as unknown as Msg;
    expect(new CoreMessage(msg, 's', false).readHeaders()).toBeUndefined();
    expect(natsHeaders().keys()).toEqual([]);
  });
});
