import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { PublishError } from './errors.ts';

/**
 * The size nats.js checks against the server's `max_payload`: the body plus the encoded header
 * block. Throws PublishError `too_large` when it does not fit, before anything is queued. Every
 * publish path hands over headers that keep their encoding (the shared block, PrebuiltHeaders), so
 * the block counted here is the one nats.js sends, encoded once.
 */
export function checkPayloadSize(nc: NatsConnection, body: Uint8Array, headers: MsgHdrs | undefined): void {
  const maxPayload = nc.info?.max_payload;
  if (maxPayload === undefined) return;
  let headerBytes = 0;
  if (headers !== undefined) {
    headerBytes = (headers as EncodableHeaders).encode().length;
  }
  if (body.length + headerBytes > maxPayload) {
    throw new PublishError(
      `message of ${body.length} body + ${headerBytes} header bytes exceeds max_payload ${maxPayload}`,
      'too_large',
    );
  }
}

type EncodableHeaders = MsgHdrs & { encode(): Uint8Array };

/** True for an error of a connection that takes no more publishes (closed or draining). */
function isClosedError(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'ClosedConnectionError' || name === 'DrainingConnectionError';
}

/**
 * True when the client refused the message outright (closed or draining connection, too large), as
 * opposed to a JetStream publish that reached the server and failed there.
 */
export function refusedByClient(error: unknown): boolean {
  return (
    error instanceof PublishError ||
    isClosedError(error) ||
    `${(error as Error | undefined)?.message}`.includes('max_payload')
  );
}

/** A PublishError for what nats.js threw when it refused a message. */
export function refusalError(error: unknown, subject: string): PublishError {
  if (error instanceof PublishError) return error;
  const message = (error as Error | undefined)?.message ?? String(error);
  const code = isClosedError(error) ? 'closed' : message.includes('max_payload') ? 'too_large' : 'publish_failed';
  return new PublishError(`NATS refused the message to ${subject}: ${message}`, code, { cause: error });
}
