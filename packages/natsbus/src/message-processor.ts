import { context, type Span, type SpanContext } from '@opentelemetry/api';
import { recordError } from '@service-runtime/observability';
import { countHandlerFailure, countRejected, countTraceContextIssue } from './bus-metrics.ts';
import { startConsumerSpan } from './consumer-span.ts';
import { InvalidMessageError, type RejectReason } from './errors.ts';
import { busLogger, MessageContext } from './handler-context.ts';
import { HandlerWatchdog } from './handler-watchdog.ts';
import { decodeIncoming } from './incoming.ts';
import type { ConsumerSpanSettings, DecodedMessage, RawMessage } from './internal-types.ts';
import { ATTR_NATSBUS_TRACE_CONTEXT_ISSUE } from './semconv.ts';
import type { SubjectPatterns } from './subject-pattern.ts';
import type { CloudEvent, EventHandler, HandlerContext, Validator } from './types.ts';

/**
 * What became of one message. `retryable` failures came from the handler; the rest never will
 * succeed. `spanContext` is the failed CONSUMER span's, so a dead-letter copy can be its child.
 */
export type Outcome =
  | { ok: true }
  | {
      ok: false;
      reason: RejectReason;
      error: Error;
      retryable: boolean;
      event?: CloudEvent;
      spanContext?: SpanContext;
    };

const OK: Outcome = { ok: true };

/** Settings of one subscription or consumer. */
export interface ProcessorSettings {
  handler: EventHandler;
  validate: Validator | undefined;
  timeoutMs: number;
  span: ConsumerSpanSettings;
  externals: SubjectPatterns;
  /** Subscription subject or durable, for metrics and logs. */
  label: string;
}

/**
 * Runs one received message through decode, checks, the CONSUMER span and the handler, with a
 * bounded wait for async handlers. Never throws: every way a message can go wrong becomes an
 * {@link Outcome} after its span, metric and log line. Synchronous handlers finish synchronously.
 */
export class MessageProcessor {
  readonly #settings: ProcessorSettings;
  readonly #watchdog: HandlerWatchdog;

  constructor(settings: ProcessorSettings) {
    this.#settings = settings;
    this.#watchdog = new HandlerWatchdog(settings.timeoutMs);
  }

  /** Decodes and checks only (batches): a decoded message, or the refusal outcome already reported. */
  decode(message: RawMessage): DecodedMessage | Outcome {
    try {
      const decoded = decodeIncoming(
        message,
        this.#settings.externals.matches(message.subject),
        this.#settings.validate,
      );
      if (decoded.traceIssue !== undefined) countTraceContextIssue(decoded.traceIssue, this.#settings.label);
      return decoded;
    } catch (error) {
      return this.#reject(message, error);
    }
  }

  /** Processes one message; a Promise only when the handler returned one. */
  process(message: RawMessage): Outcome | Promise<Outcome> {
    const decoded = this.decode(message);
    if ('ok' in decoded) return decoded;
    const { span, context: spanContext } = startConsumerSpan(message, decoded, this.#settings.span);
    if (decoded.traceIssue !== undefined && span.isRecording()) {
      span.setAttribute(ATTR_NATSBUS_TRACE_CONTEXT_ISSUE, decoded.traceIssue);
    }
    const ctx = new MessageContext(message, decoded.event.id, span);
    let result: unknown;
    try {
      result = context.with(spanContext, this.#settings.handler, undefined, decoded.event, ctx as HandlerContext);
    } catch (error) {
      return this.#fail(span, error, 'handler_error', decoded.event);
    }
    if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') {
      span.end();
      return OK;
    }
    return this.#watchdog.watch(result as PromiseLike<unknown>).then((error) => {
      if (error === undefined) {
        span.end();
        return OK;
      }
      const reason = error.name === 'HandlerTimeoutError' ? 'handler_timeout' : 'handler_error';
      if (reason === 'handler_timeout') ctx.timedOut(error);
      return this.#fail(span, error, reason, decoded.event);
    });
  }

  /** Stops the handler timer. */
  stop(): void {
    this.#watchdog.stop();
  }

  #reject(message: RawMessage, error: unknown): Outcome {
    const err =
      error instanceof InvalidMessageError
        ? error
        : new InvalidMessageError('invalid_cloudevent', 'message could not be decoded', { cause: error });
    const { span } = startConsumerSpan(message, undefined, this.#settings.span);
    recordError(span, err);
    span.end();
    countRejected(err.code, this.#settings.label);
    busLogger().warn(
      { subject: message.subject, reason: err.code, subscription: this.#settings.label },
      `natsbus refused a message: ${err.message}`,
    );
    return { ok: false, reason: err.code, error: err, retryable: false, spanContext: span.spanContext() };
  }

  #fail(span: Span, error: unknown, reason: RejectReason, event: CloudEvent): Outcome {
    const err = error instanceof Error ? error : new Error(String(error));
    recordError(span, err);
    span.end();
    countHandlerFailure(reason);
    busLogger().warn(
      { err, reason, event_id: event.id, subscription: this.#settings.label },
      `natsbus handler failed: ${err.message}`,
    );
    return { ok: false, reason, error: err, retryable: true, event, spanContext: span.spanContext() };
  }
}
