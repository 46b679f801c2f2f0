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
  HEADER_ORIGINAL_CONSUMER,
  HEADER_ORIGINAL_MSG_ID,
  ATTR_NATSBUS_DEAD_LETTER_DUPLICATE,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_NATSBUS_DEAD_LETTER_REASON,
} from './semconv.ts';
import { getTracer, SpanStarts } from './tracer.ts';

/**
 * The original headers plus why, where from and which consumer gave it up. Server directives
 * (`Nats-*`: `Nats-Msg-Id`, `Nats-Expected-*`...) are not copied: the original `Nats-Msg-Id` would
 * make a stream holding the original drop the copy as a duplicate; it travels as
 * `Natsbus-Original-Msg-Id`.
 */
export function deadLetterHeaders(message: RawMessage, reason: string, detail: string, consumer: string): MsgHdrs {
  const out = natsHeaders();
  const original = originalHeaders(message);
  if (original !== undefined) {
    for (const [key, values] of original) {
      if (key.length > 5 && key.slice(0, 5).toLowerCase() === 'nats-') {
        if (key.toLowerCase() === 'nats-msg-id' && values[0] !== undefined) out.set(HEADER_ORIGINAL_MSG_ID, values[0]);
        continue;
      }
      for (const value of values) out.append(key, value);
    }
  }
  out.set(HEADER_DEAD_LETTER_REASON, reason);
  out.set(HEADER_DEAD_LETTER_DETAIL, headerSafe(detail));
  out.set(HEADER_ORIGINAL_SUBJECT, message.subject);
  out.set(HEADER_ORIGINAL_CONSUMER, consumer);
  if (message.delivery !== undefined) {
    out.set(HEADER_ORIGINAL_STREAM, message.delivery.stream);
    out.set(HEADER_ORIGINAL_SEQUENCE, String(message.delivery.streamSequence));
    out.set(HEADER_DELIVERY_COUNT, String(message.delivery.deliveryCount));
  }
  return out;
}

/**
 * The original headers as nats.js decodes them; none when its decode throws (a block a raw-protocol
 * peer wrote with a lone CR or LF in a line), so such a message is still dead-lettered, not lost.
 */
function originalHeaders(message: RawMessage): MsgHdrs | undefined {
  try {
    return message.headers;
  } catch {
    return undefined;
  }
}

/**
 * The `Nats-Msg-Id` of the dead-letter copy of a JetStream message: one per (stream, consumer,
 * sequence), so two consumers giving up the same event store two copies, and a retried copy of the
 * same delivery (the term failed, the message came back) is stored once.
 */
export function deadLetterMsgId(stream: string, consumer: string, streamSequence: number): string {
  return `natsbus-dl:${stream}:${consumer}:${streamSequence}`;
}

/** Where dead-letter copies go and how they are confirmed. */
export interface DeadLetterTarget {
  nc: NatsConnection;
  /** Set when a stream captures `subject`: each copy then waits for its PubAck. */
  js: JetStreamClient | undefined;
  subject: string;
  /** The durable or subscription that gives messages up (header and copy id). */
  consumer: string;
}

/**
 * Republishes the message body unchanged (same bytes, headers as {@link deadLetterHeaders}) to the
 * dead-letter subject. When a stream captures it the copy carries its own `Nats-Msg-Id` and counts
 * only once the PubAck says it is stored (a duplicate answer means an earlier attempt stored it);
 * otherwise it is a core publish, at most once once nats.js took it. Resolves false, with the
 * PRODUCER span ERROR, when the copy was not stored: the JetStream consumer then naks the original.
 */
export async function publishDeadLetter(
  target: DeadLetterTarget,
  message: RawMessage,
  reason: string,
  detail: string,
  parent?: SpanContext,
): Promise<boolean> {
  const headers = deadLetterHeaders(message, reason, detail, target.consumer);
  const span = startDeadLetterSpan(target.subject, message, reason, parent);
  try {
    if (target.js === undefined) {
      target.nc.publish(target.subject, message.data, { headers });
    } else {
      const delivery = message.delivery;
      const ack = await target.js.publish(target.subject, message.data, {
        headers,
        timeout: 5000,
        ...(delivery === undefined
          ? {}
          : { msgID: deadLetterMsgId(delivery.stream, target.consumer, delivery.streamSequence) }),
      });
      if (ack.duplicate) {
        span.setAttribute(ATTR_NATSBUS_DEAD_LETTER_DUPLICATE, true);
        return true;
      }
    }
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
 * The PRODUCER span `publish {target}` of a dead-letter copy, a child of the failed CONSUMER span (a
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

function headerSafe(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 200);
}
