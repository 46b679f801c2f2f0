import { ROOT_CONTEXT, SpanKind, trace, type Span, type SpanContext } from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { recordError } from '@service-runtime/observability';
import type { JetStreamClient } from '@nats-io/jetstream';
import { countDeadLettered } from './bus-metrics.ts';
import type { RawMessage } from './internal-types.ts';
import {
  HEADER_DEAD_LETTER_DETAIL,
  HEADER_DEAD_LETTER_REASON,
  HEADER_DELIVERY_COUNT,
  HEADER_ORIGINAL_SEQUENCE,
  HEADER_ORIGINAL_STREAM,
  HEADER_ORIGINAL_SUBJECT,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_NATSBUS_DEAD_LETTER_REASON,
} from './semconv.ts';
import { getTracer, SpanStarts } from './tracer.ts';

/** The original headers (all of them, unchanged) plus why and where the message came from. */
export function deadLetterHeaders(message: RawMessage, reason: string, detail: string): MsgHdrs {
  const out = natsHeaders();
  if (message.headers !== undefined) {
    for (const [key, values] of message.headers) for (const value of values) out.append(key, value);
  }
  out.set(HEADER_DEAD_LETTER_REASON, reason);
  out.set(HEADER_DEAD_LETTER_DETAIL, headerSafe(detail));
  out.set(HEADER_ORIGINAL_SUBJECT, message.subject);
  if (message.delivery !== undefined) {
    out.set(HEADER_ORIGINAL_STREAM, message.delivery.stream);
    out.set(HEADER_ORIGINAL_SEQUENCE, String(message.delivery.streamSequence));
    out.set(HEADER_DELIVERY_COUNT, String(message.delivery.deliveryCount));
  }
  return out;
}

/**
 * Republishes the message body unchanged (same bytes, original headers plus the reason headers) to
 * `target`. With a JetStream client (given when a stream captures `target`) the copy is confirmed
 * by a PubAck, falling back to a core publish if the stream went away. Resolves false when the copy
 * could not be sent (the JetStream consumer then naks instead of losing the message).
 */
export async function publishDeadLetter(
  nc: NatsConnection,
  js: JetStreamClient | undefined,
  target: string,
  message: RawMessage,
  reason: string,
  detail: string,
  parent?: SpanContext,
): Promise<boolean> {
  const headers = deadLetterHeaders(message, reason, detail);
  const span = startDeadLetterSpan(target, message, reason, parent);
  try {
    if (js !== undefined) {
      try {
        await js.publish(target, message.data, { headers, timeout: 5000 });
        countDeadLettered(reason);
        return true;
      } catch (error) {
        if (!isNoStream(error)) throw error;
      }
    }
    nc.publish(target, message.data, { headers });
    countDeadLettered(reason);
    return true;
  } catch (error) {
    recordError(span, error);
    return false;
  } finally {
    span.end();
  }
}

/**
 * The PRODUCER span `send {target}` of a dead-letter copy, a child of the failed CONSUMER span (a
 * new root when there is none), so the trace shows where the message went.
 */
function startDeadLetterSpan(
  target: string,
  message: RawMessage,
  reason: string,
  parent: SpanContext | undefined,
): Span {
  const start = deadLetterStarts.for(target);
  const span = getTracer().startSpan(
    start.name,
    start.options,
    parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent),
  );
  if (span.isRecording()) {
    span.setAttribute(ATTR_MESSAGING_OPERATION_NAME, 'publish');
    span.setAttribute(ATTR_MESSAGING_MESSAGE_BODY_SIZE, message.data.length);
    span.setAttribute(ATTR_NATSBUS_DEAD_LETTER_REASON, reason);
  }
  return span;
}

const deadLetterStarts = new SpanStarts('send', SpanKind.PRODUCER);

/** No stream captures the subject: nats.js reports the missing responder as JetStreamNotEnabled. */
function isNoStream(error: unknown): boolean {
  const err = error as { name?: string; message?: string; cause?: { isNoResponders?: () => boolean } } | undefined;
  if (err?.name === 'JetStreamNotEnabled' || err?.cause?.isNoResponders?.() === true) return true;
  return `${err?.message ?? ''}`.toLowerCase().includes('no responders');
}

function headerSafe(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 200);
}
