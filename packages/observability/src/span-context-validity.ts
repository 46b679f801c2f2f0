import { isSpanContextValid, type SpanContext } from '@opentelemetry/api';

let lastTraceId: unknown;
let lastSpanId: unknown;
let lastValid = false;

/**
 * `isSpanContextValid` remembering its last answer: validity depends only on the two id strings, and
 * a span's start asks it twice for the same parent (the tracer, then the parent-based sampler).
 */
export function isValidSpanContext(ctx: SpanContext): boolean {
  const { traceId, spanId } = ctx;
  if (traceId === lastTraceId && spanId === lastSpanId) return lastValid;
  lastValid = isSpanContextValid(ctx);
  lastTraceId = traceId;
  lastSpanId = spanId;
  return lastValid;
}
