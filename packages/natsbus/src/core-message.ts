import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import type { RawMessage } from './internal-types.ts';
import { CLOUDEVENTS_JSON } from './semconv.ts';

/** The header block nats.js writes for `content-type: application/cloudevents+json` alone. */
const STRUCTURED_BLOCK = new TextEncoder().encode(`NATS/1.0\r\ncontent-type: ${CLOUDEVENTS_JSON}\r\n\r\n`);

/** The parts of nats.js's MsgImpl read here; absent (a future nats.js) means "decode as usual". */
interface MsgInternals {
  _msg?: { hdr?: number };
  _rdata?: Uint8Array;
}

/**
 * A received core message whose headers are decoded only when asked for. nats.js decodes the whole
 * header block into a map on first access; most messages carry nothing but the structured-mode
 * content type, which {@link CoreMessage.structuredOnly} recognises from the raw bytes, so trace and
 * `ce-` header lookups (and the decode) are skipped for them.
 */
export class CoreMessage implements RawMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reply: string | undefined;
  readonly structuredOnly: boolean;
  readonly #msg: Msg;

  constructor(msg: Msg, subject: string, replies: boolean) {
    this.#msg = msg;
    this.subject = subject;
    this.data = msg.data;
    this.reply = replies ? msg.reply : undefined;
    this.structuredOnly = isStructuredOnly(msg as unknown as MsgInternals);
  }

  get headers(): MsgHdrs | undefined {
    return this.#msg.headers;
  }
}

/** True when the raw header block is exactly the structured-mode content type and nothing else. */
function isStructuredOnly(msg: MsgInternals): boolean {
  const length = msg._msg?.hdr;
  const raw = msg._rdata;
  if (length !== STRUCTURED_BLOCK.length || raw === undefined || raw.length < length) return false;
  for (let i = 0; i < length; i++) if (raw[i] !== STRUCTURED_BLOCK[i]) return false;
  return true;
}
