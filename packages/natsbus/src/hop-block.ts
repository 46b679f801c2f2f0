import {
  CLOUDEVENTS_JSON,
  HEADER_CONTENT_TYPE,
  HEADER_TRACEPARENT,
  HEADER_TRACEPARENT_CANONICAL,
  HEADER_TRACESTATE,
  HEADER_TRACESTATE_CANONICAL,
} from './semconv.ts';

/**
 * The NATS header block of a structured-mode core publish: the content type and the hop context in
 * both spellings, in the order nats.js would encode them. Written from a template and recognised
 * on receive by the same layout, so neither side builds or walks a header map for it. Its pieces
 * ({@link BLOCK_START}, {@link hopLines}) also make the blocks of the other publish paths.
 */
const START = 'NATS/1.0\r\n';
const CONTENT_TYPE = `${HEADER_CONTENT_TYPE}: ${CLOUDEVENTS_JSON}\r\n`;
const HEAD = `${START}${CONTENT_TYPE}${HEADER_TRACEPARENT}: `;
const MID = `\r\n${HEADER_TRACEPARENT_CANONICAL}: `;
const TRACEPARENT_LENGTH = 55;
const FIRST_AT = HEAD.length;
const MID_AT = FIRST_AT + TRACEPARENT_LENGTH;
const SECOND_AT = MID_AT + MID.length;
const END_AT = SECOND_AT + TRACEPARENT_LENGTH;
/** Length of the block without tracestate. */
const OWN_LENGTH = END_AT + 4;
const TEMPLATE = Buffer.from(blockText('0'.repeat(TRACEPARENT_LENGTH), undefined), 'latin1');

function blockText(traceparent: string, tracestate: string | undefined): string {
  return `${START}${CONTENT_TYPE}${hopLines(traceparent, tracestate)}\r\n`;
}

/** The hop context's header lines in both spellings (`name: value\r\n` each), in nats.js's order. */
export function hopLines(traceparent: string, tracestate: string | undefined): string {
  const state =
    tracestate === undefined
      ? ''
      : `${HEADER_TRACESTATE}: ${tracestate}\r\n${HEADER_TRACESTATE_CANONICAL}: ${tracestate}\r\n`;
  return `${HEADER_TRACEPARENT}: ${traceparent}\r\n${HEADER_TRACEPARENT_CANONICAL}: ${traceparent}\r\n${state}`;
}

/** A header block's first line, as nats.js writes it for headers without a status. */
export const BLOCK_START = START;

/** The structured-mode content type's header line. */
export const CONTENT_TYPE_LINE = CONTENT_TYPE;

/** The encoded block for the hop `traceparent` (55 ASCII characters) and `tracestate` (ASCII). */
export function encodeHopBlock(traceparent: string, tracestate: string | undefined): Uint8Array {
  if (tracestate !== undefined || traceparent.length !== TRACEPARENT_LENGTH) {
    return Buffer.from(blockText(traceparent, tracestate), 'latin1');
  }
  const block = Buffer.allocUnsafe(OWN_LENGTH);
  block.set(TEMPLATE);
  block.write(traceparent, FIRST_AT, 'latin1');
  block.write(traceparent, SECOND_AT, 'latin1');
  return block;
}

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(start: number, end: number): string }).latin1Slice;

/**
 * The hop `traceparent` of a received header block (`raw[0..length)`) that is exactly what
 * {@link encodeHopBlock} writes without tracestate (the same value in both spellings, made of
 * `[0-9a-f-]`), compared byte by byte; undefined for any other block, which is then read the general way.
 */
export function readOwnHopBlock(raw: Uint8Array, length: number): string | undefined {
  if (length !== OWN_LENGTH) return undefined;
  for (let i = 0; i < FIRST_AT; i++) if (raw[i] !== TEMPLATE[i]) return undefined;
  for (let i = MID_AT; i < SECOND_AT; i++) if (raw[i] !== TEMPLATE[i]) return undefined;
  for (let i = END_AT; i < OWN_LENGTH; i++) if (raw[i] !== TEMPLATE[i]) return undefined;
  for (let i = 0; i < TRACEPARENT_LENGTH; i++) {
    const c = raw[FIRST_AT + i]!;
    if (c !== raw[SECOND_AT + i] || !((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || c === 0x2d)) {
      return undefined;
    }
  }
  return latin1Slice.call(raw, FIRST_AT, MID_AT);
}
