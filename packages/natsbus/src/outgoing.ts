import { INVALID_TRACEID, type Span } from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { binaryBody, binaryHeaderLines, setBinaryHeaders } from './binary-mode.ts';
import { withoutTraceContext } from './envelope.ts';
import type { ExtraHeaders } from './event-checks.ts';
import {
  CLOUDEVENTS_JSON,
  HEADER_CONTENT_TYPE,
  HEADER_NATS_MSG_ID,
  HEADER_TRACEPARENT,
  HEADER_TRACEPARENT_CANONICAL,
  HEADER_TRACESTATE,
  HEADER_TRACESTATE_CANONICAL,
} from './semconv.ts';
import { BLOCK_START, CONTENT_TYPE_LINE, encodeHopBlock, hopLines } from './hop-block.ts';
import { PrebuiltHeaders } from './prebuilt-headers.ts';
import { encodeStructured } from './structured-mode.ts';
import { formatTraceparent } from './trace-headers.ts';
import type { CloudEvent, ContentMode } from './types.ts';

/** Anything a W3C tracestate cannot hold (it is printable ASCII): a line break, a non-ASCII character. */
const NOT_TRACESTATE = /[^\x20-\x7e]/;

/** A message ready for the wire. */
export interface OutgoingMessage {
  event: CloudEvent;
  headers: MsgHdrs | undefined;
  body: Uint8Array;
}

/**
 * Encodes `event` for the wire. The creation context (the producer span, for a new event) goes into
 * the `traceparent`/`tracestate` extension unless the event already has one, which is never
 * rewritten. The hop context (the producer span) goes into NATS headers on every publish, the
 * first hop included, so consumers that read only headers join the trace. External subjects get
 * no trace context at all. With `shared` (a publish: nats.js only encodes the headers) the block is
 * written directly, `extra` (the caller's own headers, already checked) included. `msgId`
 * (JetStream) goes last into `Nats-Msg-Id`, where nats.js would put it.
 */
export function encodeOutgoing(
  input: CloudEvent,
  span: Span,
  external: boolean,
  mode: ContentMode,
  sharedHeaders: MsgHdrs | undefined,
  extra?: ExtraHeaders,
  msgId?: string,
): OutgoingMessage {
  let event = input;
  let hop: string | undefined;
  let hopState: string | undefined;
  if (external) {
    event = withoutTraceContext(input);
  } else {
    const sc = span.spanContext();
    if (sc.traceId !== INVALID_TRACEID) {
      hop = formatTraceparent(sc);
      hopState = sc.traceState?.serialize() || undefined;
      // TraceState.set checks nothing: a line break would write header lines of its own, a non-ASCII
      // character mangled bytes (W3C: an invalid tracestate is dropped)
      if (hopState !== undefined && NOT_TRACESTATE.test(hopState)) hopState = undefined;
      if (event.traceparent === undefined) {
        event.traceparent = hop;
        if (hopState !== undefined) event.tracestate = hopState;
      }
    }
  }
  const body = mode === 'structured' ? encodeStructured(event) : binaryBody(event);
  if (sharedHeaders === undefined)
    return { event, headers: builtHeaders(event, mode, hop, hopState, extra, msgId), body };
  if (mode === 'structured' && msgId === undefined && extra === undefined) {
    // a core publish: the shared block, or the hop block written from a template
    return { event, headers: structuredModeHeaders(hop, hopState, undefined, sharedHeaders), body };
  }
  // nats.js only encodes these, so the block is written as one string (values as nats.js trims them)
  const attributes = mode === 'structured' ? CONTENT_TYPE_LINE : binaryHeaderLines(event);
  const hopText = hop === undefined ? '' : hopLines(hop, hopState);
  const own = extra === undefined ? '' : extraLines(extra);
  const id = msgId === undefined ? '' : `${HEADER_NATS_MSG_ID}: ${msgId.trim()}\r\n`;
  const block = Buffer.from(`${BLOCK_START}${attributes}${hopText}${own}${id}\r\n`);
  const build = () => builtHeaders(event, mode, hop, hopState, extra, msgId);
  return { event, headers: new PrebuiltHeaders(block, build), body };
}

/** The headers of {@link encodeOutgoing} built as nats.js headers, one `set` at a time. */
function builtHeaders(
  event: CloudEvent,
  mode: ContentMode,
  hop: string | undefined,
  hopState: string | undefined,
  extra: ExtraHeaders | undefined,
  msgId: string | undefined,
): MsgHdrs {
  let headers: MsgHdrs;
  if (mode === 'structured') headers = structuredModeHeaders(hop, hopState, extra, undefined);
  else {
    headers = natsHeaders();
    setBinaryHeaders(event, headers);
    if (hop !== undefined) setHop(headers, hop, hopState);
    if (extra !== undefined) addExtra(headers, extra);
  }
  if (msgId !== undefined) headers.set(HEADER_NATS_MSG_ID, msgId);
  return headers;
}

/**
 * The NATS headers of a structured-mode message: the content type, the hop context (both
 * spellings) and the caller's own; the `shared` pre-encoded template when there is nothing else.
 */
export function structuredModeHeaders(
  hop: string | undefined,
  hopState: string | undefined,
  extra: ExtraHeaders | undefined,
  shared: MsgHdrs | undefined,
): MsgHdrs {
  if (extra === undefined && shared !== undefined) {
    if (hop === undefined) return shared;
    // a core publish: nats.js only encodes these, so the block is written from a template
    return new PrebuiltHeaders(encodeHopBlock(hop, hopState), () =>
      structuredModeHeaders(hop, hopState, undefined, undefined),
    );
  }
  const headers = natsHeaders();
  headers.set(HEADER_CONTENT_TYPE, CLOUDEVENTS_JSON);
  if (hop !== undefined) setHop(headers, hop, hopState);
  if (extra !== undefined) addExtra(headers, extra);
  return headers;
}

/** The hop context in both spellings (see {@link HEADER_TRACEPARENT}). */
function setHop(headers: MsgHdrs, traceparent: string, tracestate: string | undefined): void {
  headers.set(HEADER_TRACEPARENT, traceparent);
  headers.set(HEADER_TRACEPARENT_CANONICAL, traceparent);
  if (tracestate !== undefined) {
    headers.set(HEADER_TRACESTATE, tracestate);
    headers.set(HEADER_TRACESTATE_CANONICAL, tracestate);
  }
}

/**
 * The caller's headers as nats.js encodes them after {@link addExtra}: their names are checked
 * tokens that none of natsbus's own can equal, so each is one entry, its values trimmed in order.
 */
function extraLines(extra: ExtraHeaders): string {
  let lines = '';
  for (const name of Object.keys(extra)) {
    const value = extra[name]!;
    if (typeof value === 'string') lines += `${name}: ${value.trim()}\r\n`;
    else for (const one of value) lines += `${name}: ${one.trim()}\r\n`;
  }
  return lines;
}

function addExtra(headers: MsgHdrs, extra: ExtraHeaders): void {
  for (const name of Object.keys(extra)) {
    const value = extra[name]!;
    if (typeof value === 'string') headers.set(name, value);
    else for (const one of value) headers.append(name, one);
  }
}

/**
 * Headers of a structured-mode message with nothing else to say (external subjects, no active
 * trace), built and encoded once: nats.js calls `encode()` on every publish, so the shared
 * template answers with the same bytes each time. Core publishes only (JetStream adds headers to
 * the object it is given).
 */
export function structuredHeaders(): MsgHdrs {
  const headers = natsHeaders();
  headers.set(HEADER_CONTENT_TYPE, CLOUDEVENTS_JSON);
  const encoded = (headers as MsgHdrs & { encode(): Uint8Array }).encode();
  return Object.create(headers, { encode: { value: () => encoded } }) as MsgHdrs;
}
