import { INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api';
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { recordError } from '@service-runtime/observability';
import { completeEvent } from './envelope.ts';
import { RequestError } from './errors.ts';
import type { MessageContext } from './handler-context.ts';
import { decodeIncoming } from './incoming.ts';
import type { AfterMessage } from './core-subscriber.ts';
import type { RawMessage } from './internal-types.ts';
import { encodeOutgoing } from './outgoing.ts';
import { startProducerSpan } from './producer-span.ts';
import { readHeadersOf } from './received-headers.ts';
import { unpublishableSubject, type SubjectPatterns } from './subject-pattern.ts';
import type { CloudEvent, ContentMode, EventHandler, EventInput, ReplyHandler } from './types.ts';

/** Event type of the reply sent when a reply handler fails; its data is `{ code }` only. */
export const REPLY_ERROR_TYPE = 'io.service-runtime.natsbus.error';

/** What request and reply need from the bus. */
export interface RequestDeps {
  nc: NatsConnection;
  source: string;
  externals: SubjectPatterns;
  contentMode: ContentMode;
  /** The bus's shared structured-mode headers: requests and replies are only encoded by nats.js. */
  shared: MsgHdrs;
}

/** Sends a CloudEvent request in a PRODUCER span and returns the reply event. */
export async function sendRequest(
  deps: RequestDeps,
  subject: string,
  input: EventInput,
  timeoutMs: number,
  mode: ContentMode,
): Promise<CloudEvent> {
  const unpublishable = unpublishableSubject(subject);
  if (unpublishable !== undefined) {
    throw new RequestError(`invalid subject "${String(subject)}": ${unpublishable}`, 'invalid_subject');
  }
  const event = completeEvent(input, deps.source);
  const span = startProducerSpan(subject, event, 'request', deps.nc);
  try {
    const external = deps.externals.matches(subject);
    const out = encodeOutgoing(event, span, external, mode, deps.shared);
    const reply = await deps.nc.request(subject, out.body, { headers: out.headers, timeout: timeoutMs });
    const received: RawMessage = {
      subject,
      get headers() {
        return reply.headers;
      },
      data: reply.data,
      readHeaders: () => readHeadersOf(reply),
    };
    const { event: answer } = decodeIncoming(received, true, undefined);
    if (answer.type === REPLY_ERROR_TYPE) {
      const code = (answer.data as { code?: string } | undefined)?.code ?? 'remote_error';
      throw new RequestError(`the replier failed (${code})`, 'remote_error');
    }
    return answer;
  } catch (error) {
    const err =
      error instanceof RequestError || (error as Error)?.name === 'InvalidMessageError'
        ? (error as Error)
        : new RequestError(`request to ${subject} failed: ${(error as Error)?.message}`, 'request_failed', {
            cause: error,
          });
    recordError(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Wraps a reply handler: its returned input is completed and sent back to the requester inside
 * the consumer span, so the reply carries that span's context.
 */
export function replyingHandler(deps: RequestDeps, handler: ReplyHandler): EventHandler {
  return async (event, ctx) => {
    const answer = await handler(event, ctx);
    const replyTo = (ctx as MessageContext).replyTo;
    if (replyTo === undefined || replyTo === '') return;
    const reply = completeEvent(answer, deps.source);
    const out = encodeOutgoing(reply, ctx.span, true, deps.contentMode, deps.shared);
    deps.nc.publish(replyTo, out.body, out.headers === undefined ? undefined : { headers: out.headers });
  };
}

/** After a failed reply handler: tell the requester at once instead of letting it time out. */
export function replyOnFailure(deps: RequestDeps): AfterMessage {
  return (msg, _raw, outcome) => {
    if (outcome.ok || !msg.reply) return;
    const reply = completeEvent({ type: REPLY_ERROR_TYPE, data: { code: outcome.reason } }, deps.source);
    const out = encodeOutgoing(reply, noSpan, true, deps.contentMode, deps.shared);
    deps.nc.publish(msg.reply, out.body, out.headers === undefined ? undefined : { headers: out.headers });
  };
}

const noSpan = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
