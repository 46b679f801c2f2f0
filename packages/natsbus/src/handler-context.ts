import type { Span } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';
import { getLogger, type Logger } from '@service-runtime/observability';
import type { RawMessage } from './internal-types.ts';
import type { HandlerContext, JetStreamDelivery } from './types.ts';

/** The natsbus component logger (looked up per call: `initObservability` may replace the logger). */
export function busLogger(): Logger {
  return getLogger().child({ component: 'natsbus' });
}

/** A handler's context; the logger is built only when a handler asks for it. */
export class MessageContext implements HandlerContext {
  readonly span: Span;
  readonly #message: RawMessage;
  readonly #eventId: string;
  #logger: Logger | undefined;
  #abort: AbortController | undefined;

  constructor(message: RawMessage, eventId: string, span: Span) {
    this.#message = message;
    this.#eventId = eventId;
    this.span = span;
  }

  get subject(): string {
    return this.#message.subject;
  }

  get headers(): MsgHdrs | undefined {
    return this.#message.headers;
  }

  get jetstream(): JetStreamDelivery | undefined {
    return this.#message.delivery;
  }

  /** Internal: the reply subject of a request. */
  get replyTo(): string | undefined {
    return this.#message.reply;
  }

  get logger(): Logger {
    this.#logger ??= busLogger().child({ subject: this.#message.subject, event_id: this.#eventId });
    return this.#logger;
  }

  get signal(): AbortSignal {
    this.#abort ??= new AbortController();
    return this.#abort.signal;
  }

  /** Internal: the handler ran past its bound (its signal is aborted only if it was asked for). */
  timedOut(reason: Error): void {
    this.#abort?.abort(reason);
  }
}
