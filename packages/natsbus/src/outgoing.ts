import { INVALID_TRACEID, type Span } from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { encodeBinary } from './binary-mode.ts';
import { withoutTraceContext } from './envelope.ts';
import { CLOUDEVENTS_JSON } from './semconv.ts';
import { encodeStructured } from './structured-mode.ts';
import { formatTraceparent } from './trace-headers.ts';
import type { CloudEvent, ContentMode } from './types.ts';

/** A message ready for the wire. */
export interface OutgoingMessage {
  event: CloudEvent;
  headers: MsgHdrs | undefined;
  body: Uint8Array;
}

/**
 * Encodes `event` for the wire. The creation context (the producer span, for a new event) goes into
 * the `traceparent`/`tracestate` extension unless the event already has one, which is never
 * rewritten. The hop context goes into NATS headers only when it differs from the creation context:
 * on the first hop the consumer reads it from the envelope, which saves two headers per message.
 * External subjects get no trace context at all. `shared` headers may be reused across core
 * publishes; JetStream needs fresh ones (it adds `Nats-Msg-Id`).
 */
export function encodeOutgoing(
  input: CloudEvent,
  span: Span,
  external: boolean,
  mode: ContentMode,
  sharedHeaders: MsgHdrs | undefined,
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
      if (event.traceparent === undefined) {
        event.traceparent = hop;
        if (hopState !== undefined) event.tracestate = hopState;
      }
      if (event.traceparent === hop) hop = undefined;
    }
  }
  if (mode === 'binary') {
    const { headers, body } = encodeBinary(event);
    if (hop !== undefined) setHop(headers, hop, hopState);
    return { event, headers, body };
  }
  const body = encodeStructured(event);
  if (hop === undefined && sharedHeaders !== undefined) return { event, headers: sharedHeaders, body };
  const headers = natsHeaders();
  headers.set('content-type', CLOUDEVENTS_JSON);
  if (hop !== undefined) setHop(headers, hop, hopState);
  return { event, headers, body };
}

function setHop(headers: MsgHdrs, traceparent: string, tracestate: string | undefined): void {
  headers.set('traceparent', traceparent);
  if (tracestate !== undefined) headers.set('tracestate', tracestate);
}

/**
 * Headers of a structured-mode message with nothing else to say, built and encoded once: nats.js
 * calls `encode()` on every publish, so the shared template answers with the same bytes each time.
 * Core publishes only (JetStream adds headers to the object it is given).
 */
export function structuredHeaders(): MsgHdrs {
  const headers = natsHeaders();
  headers.set('content-type', CLOUDEVENTS_JSON);
  const encoded = (headers as MsgHdrs & { encode(): Uint8Array }).encode();
  return Object.create(headers, { encode: { value: () => encoded } }) as MsgHdrs;
}
