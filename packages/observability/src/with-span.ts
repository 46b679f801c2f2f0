import { SpanStatusCode, trace, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';

/** Options for {@link withSpan}: the usual span options plus the tracer to use. */
export interface WithSpanOptions extends SpanOptions {
  /** Tracer to start the span with; default the `@service-runtime/observability` tracer. */
  tracer?: Tracer;
}

/**
 * Runs `fn(span)` inside a new active span and returns its result. A throw or a rejection records
 * the exception, sets status ERROR with the message and is re-thrown; the span always ends.
 */
export function withSpan<T>(name: string, fn: (span: Span) => T, options: WithSpanOptions = {}): T {
  const { tracer = trace.getTracer('@service-runtime/observability'), ...spanOptions } = options;
  return tracer.startActiveSpan(name, spanOptions, (span) => {
    let result: T;
    try {
      result = fn(span);
    } catch (error) {
      recordError(span, error);
      span.end();
      throw error;
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (value) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          recordError(span, error);
          span.end();
          throw error;
        },
      ) as T;
    }
    span.end();
    return result;
  });
}

/** Records `error` on `span` as an exception event and sets status ERROR with its message. */
export function recordError(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  const code = (err as { code?: unknown }).code;
  span.setAttribute('error.type', typeof code === 'string' && code !== '' ? code : err.name);
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
