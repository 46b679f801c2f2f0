import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { TraceIds } from './types.ts';

/** `{ trace_id, span_id }` of the active span, or `{}` outside one; for any logger's mixin. */
export function getTraceIds(): TraceIds {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const ctx = span.spanContext();
  if (!isSpanContextValid(ctx)) return {};
  return { trace_id: ctx.traceId, span_id: ctx.spanId };
}
