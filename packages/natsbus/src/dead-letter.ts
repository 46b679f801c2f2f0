import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
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
} from './semconv.ts';

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
): Promise<boolean> {
  const headers = deadLetterHeaders(message, reason, detail);
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
  } catch {
    return false;
  }
}

/** No stream captures the subject: nats.js reports the missing responder as JetStreamNotEnabled. */
function isNoStream(error: unknown): boolean {
  const err = error as { name?: string; message?: string; cause?: { isNoResponders?: () => boolean } } | undefined;
  if (err?.name === 'JetStreamNotEnabled' || err?.cause?.isNoResponders?.() === true) return true;
  return `${err?.message ?? ''}`.toLowerCase().includes('no responders');
}

function headerSafe(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 200);
}
