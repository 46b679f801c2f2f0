import type {
  Attributes,
  AttributeValue,
  Exception,
  Link,
  Span,
  SpanContext,
  SpanStatus,
  TimeInput,
} from '@opentelemetry/api';
import type { MessageTally, RecordOperation } from './messaging-metrics.ts';
import { ATTR_ERROR_TYPE } from './semconv.ts';

/**
 * A span that also records the messaging metrics when it ends, with the span's duration and the
 * `error.type` it was given (observability's `recordError` sets it). Metrics do not depend on
 * sampling: an unsampled span is metered all the same. Everything else goes to the real span.
 */
export class MeteredSpan implements Span {
  readonly #span: Span;
  readonly #tally: MessageTally;
  readonly #record: RecordOperation;
  readonly #messages: number;
  readonly #start = performance.now();
  #errorType: string | undefined;
  #ended = false;

  constructor(span: Span, tally: MessageTally, record: RecordOperation, messages = 1) {
    this.#span = span;
    this.#tally = tally;
    this.#record = record;
    this.#messages = messages;
  }

  /** The real span (what handlers see as the active span). */
  get inner(): Span {
    return this.#span;
  }

  end(endTime?: TimeInput): void {
    this.#span.end(endTime);
    if (this.#ended) return;
    this.#ended = true;
    this.#record(this.#tally, (performance.now() - this.#start) / 1000, this.#errorType, this.#messages);
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (key === ATTR_ERROR_TYPE && typeof value === 'string') this.#errorType = value;
    this.#span.setAttribute(key, value);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    const errorType = attributes[ATTR_ERROR_TYPE];
    if (typeof errorType === 'string') this.#errorType = errorType;
    this.#span.setAttributes(attributes);
    return this;
  }

  spanContext(): SpanContext {
    return this.#span.spanContext();
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    this.#span.addEvent(name, attributesOrStartTime, startTime);
    return this;
  }

  addLink(link: Link): this {
    this.#span.addLink(link);
    return this;
  }

  addLinks(links: Link[]): this {
    this.#span.addLinks(links);
    return this;
  }

  setStatus(status: SpanStatus): this {
    this.#span.setStatus(status);
    return this;
  }

  updateName(name: string): this {
    this.#span.updateName(name);
    return this;
  }

  isRecording(): boolean {
    return this.#span.isRecording();
  }

  recordException(exception: Exception, time?: TimeInput): void {
    this.#span.recordException(exception, time);
  }
}
