import {
  diag,
  SpanStatusCode,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span as ApiSpan,
  type SpanAttributes,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import {
  AddAttributeDecision,
  cleanAttributes,
  cleanSimpleAttributes,
  hrTimeDuration,
  isTimeInput,
  millisToHrTime,
  type InstrumentationScope,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace';
import { addAttribute } from './attribute-limits.ts';
import { spanTime, type SpanStartInstant } from './span-clock.ts';
import type { ResolvedSpanLimits } from './span-limits.ts';

/** What every span of one tracer shares, built once per tracer. */
export interface SpanScope {
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  readonly limits: ResolvedSpanLimits;
  readonly eventAttributeLimits: { attributeCountLimit: number; attributeValueLengthLimit: number };
  readonly linkAttributeLimits: { attributeCountLimit: number; attributeValueLengthLimit: number };
  /** Processors whose `onStart` does something. */
  readonly onStart: readonly SpanProcessor[];
  /** Processors with an `onEnding`. */
  readonly onEnding: readonly SpanProcessor[];
  readonly onEnd: readonly SpanProcessor[];
}

const NOT_ENDED: HrTime = Object.freeze([0, 0]) as unknown as HrTime;
const NO_DURATION: HrTime = Object.freeze([-1, -1]) as unknown as HrTime;

/**
 * A sampled-in span, with the observable behaviour of the SDK's `Span` (sdk-trace 3.1.0): limits,
 * dropped counts, status rules, mutation after the end ignored. It is also the SDK's `ReadableSpan`,
 * so span processors and exporters written for the SDK take it as it is.
 */
export class RecordingSpan implements ApiSpan, ReadableSpan, SpanStartInstant {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  endTime: HrTime = NOT_ENDED;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  attributes: Attributes;
  links: Link[];
  events: TimedEvent[] = [];
  duration: HrTime = NO_DURATION;
  ended = false;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  droppedAttributesCount: number;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  readonly epochAtStart: number;
  readonly performanceAtStart: number;
  readonly startProvided: boolean;
  readonly #context: SpanContext;
  readonly #scope: SpanScope;
  #attributesCount: number;

  /** `attributes` and each link's attributes are already cleaned, as the SDK's tracer hands them over. */
  constructor(
    scope: SpanScope,
    spanContext: SpanContext,
    name: string,
    kind: SpanKind,
    parentSpanContext: SpanContext | undefined,
    attributes: Attributes,
    attributesCount: number,
    droppedAttributesCount: number,
    links: Link[],
    startTime: TimeInput | undefined,
    parentContext: Context,
  ) {
    this.epochAtStart = Date.now();
    this.performanceAtStart = performance.now();
    this.startProvided = startTime != null;
    this.#scope = scope;
    this.#context = spanContext;
    this.name = name;
    this.kind = kind;
    this.parentSpanContext = parentSpanContext;
    this.startTime = startTime == null ? millisToHrTime(this.epochAtStart) : spanTime(startTime, this);
    this.resource = scope.resource;
    this.instrumentationScope = scope.instrumentationScope;
    const linkLimit = scope.limits.linkCountLimit;
    if (links.length > linkLimit) {
      this.links = links.slice(links.length - linkLimit, links.length);
      this.droppedLinksCount = links.length - linkLimit;
    } else {
      this.links = links;
    }
    this.attributes = attributes;
    this.#attributesCount = attributesCount;
    this.droppedAttributesCount = droppedAttributesCount;
    for (const processor of scope.onStart) processor.onStart(this, parentContext);
  }

  spanContext(): SpanContext {
    return this.#context;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (this.ended) return this.#ignored();
    if (value === undefined) return this;
    const decision = addAttribute(this.attributes, key, value, this.#attributesCount, this.#scope.limits);
    if (decision === AddAttributeDecision.ADD_NEW) {
      this.#attributesCount++;
    } else if (decision === AddAttributeDecision.DROP_LIMIT_REACHED) {
      if (++this.droppedAttributesCount === 1) diag.warn('Dropping extra attributes.');
    }
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key in attributes) {
      if (Object.prototype.hasOwnProperty.call(attributes, key)) this.setAttribute(key, attributes[key]);
    }
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: SpanAttributes | TimeInput, timeStamp?: TimeInput): this {
    if (this.ended) return this.#ignored();
    const limit = this.#scope.limits.eventCountLimit;
    if (limit === 0) {
      diag.warn('No events allowed.');
      this.droppedEventsCount++;
      return this;
    }
    if (this.events.length >= limit) {
      if (this.droppedEventsCount === 0) diag.debug('Dropping extra events.');
      this.events.shift();
      this.droppedEventsCount++;
    }
    let attributes: unknown = attributesOrStartTime;
    if (isTimeInput(attributesOrStartTime)) {
      if (!isTimeInput(timeStamp)) timeStamp = attributesOrStartTime;
      attributes = undefined;
    }
    const time = spanTime(timeStamp, this);
    this.events.push(
      attributes === undefined
        ? { name, time }
        : { name, time, ...cleanSimpleAttributes(attributes as Attributes, this.#scope.eventAttributeLimits) },
    );
    return this;
  }

  addLink(link: Link): this {
    if (this.ended) return this.#ignored();
    const limit = this.#scope.limits.linkCountLimit;
    if (limit === 0) {
      this.droppedLinksCount++;
      return this;
    }
    if (this.links.length >= limit) {
      if (this.droppedLinksCount === 0) diag.debug('Dropping extra links.');
      this.links.shift();
      this.droppedLinksCount++;
    }
    this.links.push(cleanLink(link, this.#scope));
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended) return this.#ignored();
    if (status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    const next: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') next.message = status.message;
      else if (status.message != null) {
        diag.warn(`Dropping invalid status.message of type '${typeof status.message}', expected 'string'`);
      }
    }
    this.status = next;
    return this;
  }

  updateName(name: string): this {
    if (this.ended) return this.#ignored();
    this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      const { traceId, spanId } = this.#context;
      diag.error(`${this.name} ${traceId}-${spanId} - You can only call end() on a span once.`);
      return;
    }
    this.endTime = spanTime(endTime, this);
    this.duration = hrTimeDuration(this.startTime, this.endTime);
    if (this.duration[0] < 0) {
      diag.warn('Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.');
      this.endTime = this.startTime.slice() as HrTime;
      this.duration = [0, 0];
    }
    if (this.droppedEventsCount > 0)
      diag.warn(`Dropped ${this.droppedEventsCount} events because eventCountLimit reached`);
    if (this.droppedLinksCount > 0) diag.warn(`Dropped ${this.droppedLinksCount} links because linkCountLimit reached`);
    const scope = this.#scope;
    for (const processor of scope.onEnding) processor.onEnding?.(this);
    this.ended = true;
    for (const processor of scope.onEnd) processor.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) this.addEvent('exception', attributes, time);
    else diag.warn(`Failed to record an exception ${String(exception)}`);
  }

  #ignored(): this {
    const { traceId, spanId } = this.#context;
    diag.warn(`Cannot execute the operation on ended Span {traceId: ${traceId}, spanId: ${spanId}}`);
    return this;
  }
}

/** A link as the SDK keeps it: its context, plus its attributes cleaned when it has any. */
export function cleanLink(link: Link, scope: SpanScope): Link {
  if (typeof link.attributes !== 'object' || link.attributes === null) return { context: link.context };
  return { context: link.context, ...cleanAttributes(link.attributes, scope.linkAttributeLimits) };
}
