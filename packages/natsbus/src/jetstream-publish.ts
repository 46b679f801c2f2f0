import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';

/** First pause between JetStream publish attempts; doubled each time up to {@link MAX_PAUSE_MS}. */
const FIRST_PAUSE_MS = 100;
const MAX_PAUSE_MS = 2000;
/** Errors of a publish whose fate is unknown or that the server could not take yet. */
const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'NoResponders',
  'JetStreamNotEnabled',
  'RequestError',
  'ConnectionError',
]);

/**
 * True for failures a later attempt may get past: no PubAck in time, no responders (the server is
 * restarting or JetStream is not ready yet), a lost connection, or a JetStream API answer with a
 * 5xx status (e.g. 10008 "JetStream system temporarily unavailable" during a leader election).
 */
export function isTransientPublishError(error: unknown): boolean {
  const err = error as { name?: string; status?: number } | undefined;
  if (err === undefined || err === null) return false;
  if (TRANSIENT_NAMES.has(err.name ?? '')) return true;
  return err.name === 'JetStreamApiError' && typeof err.status === 'number' && err.status >= 500;
}

/**
 * Publishes to JetStream (the headers carry the event id as `Nats-Msg-Id`) and, when `retryForMs` > 0, retries a
 * transient failure with a growing pause until the PubAck arrives or `retryForMs` has passed. A
 * retry of a publish the server did store is answered as a duplicate by the stream's duplicate
 * window, so a retried event is stored once. `onRetry` sees each failed attempt before the pause.
 */
export async function publishJetStream(
  js: JetStreamClient,
  subject: string,
  body: Uint8Array,
  options: { headers: MsgHdrs | undefined; timeoutMs: number; retryForMs: number },
  onRetry?: (error: unknown, attempt: number) => void,
): Promise<PubAck> {
  const deadline = performance.now() + options.retryForMs;
  let pause = FIRST_PAUSE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await js.publish(subject, body, {
        ...(options.headers !== undefined ? { headers: options.headers } : {}),
        timeout: options.timeoutMs,
      });
    } catch (error) {
      const left = deadline - performance.now();
      if (!isTransientPublishError(error) || left <= 0) throw error;
      onRetry?.(error, attempt);
      await sleep(Math.min(pause, left));
      pause = Math.min(pause * 2, MAX_PAUSE_MS);
    }
  }
}
