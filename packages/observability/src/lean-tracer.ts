import {
  context as contextApi,
  INVALID_SPAN_CONTEXT,
  SamplingDecision,
  SpanKind,
  TraceFlags,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { IdGenerator, Sampler } from '@opentelemetry/sdk-trace';
import { copyValidAttributes, limitedCopy, limitInPlace } from './attribute-limits.ts';
import { cleanLink, RecordingSpan, type SpanScope } from './recording-span.ts';
import { isValidSpanContext } from './span-context-validity.ts';

// Immutable and without state: one suffices for every span started under suppressed tracing.
const SUPPRESSED_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * A tracer that decides and records as the SDK's `Tracer` does (suppressed tracing, `root`, the
 * parent from the context, the sampler's decision, attributes and trace state), starting
 * {@link RecordingSpan}s that end straight into the provider's span processors.
 */
export class LeanTracer implements Tracer {
  readonly #scope: SpanScope;
  readonly #sampler: Sampler;
  readonly #ids: IdGenerator;

  constructor(scope: SpanScope, sampler: Sampler, ids: IdGenerator) {
    this.#scope = scope;
    this.#sampler = sampler;
    this.#ids = ids;
  }

  /** The scope this tracer's spans carry (one object per tracer, which the OTLP encoder groups by). */
  get instrumentationScope(): SpanScope['instrumentationScope'] {
    return this.#scope.instrumentationScope;
  }

  startSpan(name: string, options: SpanOptions = {}, context: Context = contextApi.active()): Span {
    if (options.root) context = trace.deleteSpan(context);
    const parentSpanContext = trace.getSpan(context)?.spanContext();
    if (isTracingSuppressed(context)) return SUPPRESSED_SPAN;
    const spanId = this.#ids.generateSpanId();
    let traceId: string;
    let traceState: SpanContext['traceState'];
    let validParent: SpanContext | undefined;
    if (parentSpanContext === undefined || !isValidSpanContext(parentSpanContext)) {
      traceId = this.#ids.generateTraceId();
    } else {
      traceId = parentSpanContext.traceId;
      traceState = parentSpanContext.traceState;
      validParent = parentSpanContext;
    }
    const kind = options.kind ?? SpanKind.INTERNAL;
    const links: Link[] = [];
    if (options.links != null) for (const link of options.links) links.push(cleanLink(link, this.#scope));
    let attributes: Attributes = {};
    let dropped = options.attributes === undefined ? 0 : copyValidAttributes(attributes, options.attributes);
    const result = this.#sampler.shouldSample(context, traceId, name, kind, attributes, links);
    const spanContext: SpanContext = {
      traceId,
      spanId,
      traceFlags: result.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState: result.traceState ?? traceState,
    };
    if (result.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const limits = this.#scope.limits;
    let count = result.attributes === undefined ? limitInPlace(attributes, limits) : -1;
    if (count < 0) {
      const limited = limitedCopy(Object.assign(attributes, result.attributes), limits);
      attributes = limited.attributes;
      dropped += limited.droppedAttributesCount;
      count = Object.keys(attributes).length;
    }
    return new RecordingSpan(
      this.#scope,
      spanContext,
      name,
      kind,
      validParent,
      attributes,
      count,
      dropped,
      links,
      options.startTime,
      context,
    );
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    context: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    arg2?: F | SpanOptions,
    arg3?: F | Context,
    arg4?: F,
  ): ReturnType<F> | undefined {
    let options: SpanOptions | undefined;
    let parent: Context | undefined;
    let fn: F;
    if (arguments.length < 2) return undefined;
    if (arguments.length === 2) {
      fn = arg2 as F;
    } else if (arguments.length === 3) {
      options = arg2 as SpanOptions;
      fn = arg3 as F;
    } else {
      options = arg2 as SpanOptions;
      parent = arg3 as Context;
      fn = arg4 as F;
    }
    const parentContext = parent ?? contextApi.active();
    const span = this.startSpan(name, options, parentContext);
    return contextApi.with(trace.setSpan(parentContext, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }
}
