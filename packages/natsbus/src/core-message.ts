import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import type { MsgInternals, RawMessage } from './internal-types.ts';
import { BLOCK_START, readOwnHopBlock } from './hop-block.ts';
import { readHeadersOf, type HeaderReader } from './received-headers.ts';
import { CLOUDEVENTS_JSON } from './semconv.ts';

const NOT_PLAIN_ASCII = /[^\t\n\r\x20-\x7e]/;
/** Longest header block scanned by hand; longer ones (large tracestate) take nats.js's decode. */
const MAX_SCANNED = 2048;

/**
 * A received core message whose headers are decoded only when asked for. nats.js decodes the whole
 * header block into a map on first access; most messages carry nothing but the structured-mode
 * content type and the hop's `traceparent`/`tracestate` (any spelling). Such a block is read once,
 * from the raw bytes, into {@link CoreMessage.structuredOnly} and the two hop values, so the
 * nats.js decode is skipped for them; anything else in the block (`ce-`, a caller's header, a
 * status line) leaves the message to the ordinary decode.
 */
export class CoreMessage implements RawMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reply: string | undefined;
  readonly structuredOnly: boolean;
  readonly hopTraceparent: string | undefined;
  readonly hopTracestate: string | undefined;
  readonly #msg: Msg;

  constructor(msg: Msg, subject: string, replies: boolean) {
    this.#msg = msg;
    this.subject = subject;
    this.data = msg.data;
    this.reply = replies ? msg.reply : undefined;
    const scanned = scanHeaderBlock(msg as unknown as MsgInternals);
    this.structuredOnly = scanned !== undefined;
    this.hopTraceparent = scanned?.traceparent;
    this.hopTracestate = scanned?.tracestate;
  }

  get headers(): MsgHdrs | undefined {
    return this.#msg.headers;
  }

  /** The headers for natsbus's own reads: the raw block read once, else nats.js's decode. */
  readHeaders(): HeaderReader | undefined {
    return readHeadersOf(this.#msg);
  }
}

interface ScannedBlock {
  traceparent: string | undefined;
  tracestate: string | undefined;
}

/**
 * The hop values of a raw header block holding exactly `content-type: application/cloudevents+json`
 * and trace headers (each name in any spelling, repeated spellings with one value), read the way
 * nats.js reads values (trimmed, blank as absent); undefined for any other block, and for a trace
 * header repeated in one spelling (W3C joins repeated fields; the decoded path does).
 */
function scanHeaderBlock(msg: MsgInternals): ScannedBlock | undefined {
  const length = msg._msg?.hdr;
  const raw = msg._rdata;
  if (length === undefined || raw === undefined || length > MAX_SCANNED || raw.length < length) return undefined;
  // the block natsbus itself writes, recognised by its layout; anything else is scanned below
  const own = readOwnHopBlock(raw, length);
  if (own !== undefined) return { traceparent: own, tracestate: undefined };
  const text = Buffer.from(raw.buffer, raw.byteOffset, length).toString('latin1');
  if (!text.startsWith(BLOCK_START) || !text.endsWith('\r\n\r\n')) return undefined;
  let contentType = false;
  let traceparent: string | undefined;
  let tracestate: string | undefined;
  const spellings: string[] = []; // of the trace lines read: one repeated in one spelling is left to the decode
  for (let at = BLOCK_START.length; at < length - 2;) {
    const end = text.indexOf('\r\n', at);
    const colon = text.indexOf(':', at);
    if (colon === -1 || colon > end) return undefined;
    const spelling = text.slice(at, colon);
    const name = spelling.toLowerCase();
    const value = text.slice(colon + 1, end).trim();
    // a lone CR or LF left in a value makes nats.js's decode throw: the decode path refuses the message
    if (value.includes('\n') || value.includes('\r')) return undefined;
    at = end + 2;
    if (name === 'content-type' && value === CLOUDEVENTS_JSON && !contentType) {
      contentType = true;
      continue;
    }
    if (name !== 'traceparent' && name !== 'tracestate') return undefined;
    const seen = name === 'traceparent' ? traceparent : tracestate;
    if ((seen !== undefined && seen !== value) || spellings.includes(spelling)) return undefined;
    spellings.push(spelling);
    if (name === 'traceparent') traceparent = value;
    else tracestate = value;
  }
  // Anything but plain ASCII (read here as latin1, as UTF-8 by nats.js) is left to its decode;
  // tested last, so a block with other headers (binary mode) is refused at its first such line.
  if (!contentType || NOT_PLAIN_ASCII.test(text)) return undefined;
  return { traceparent: traceparent || undefined, tracestate: tracestate || undefined };
}
