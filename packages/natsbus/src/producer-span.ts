import { context, SpanKind, type Span } from '@opentelemetry/api';
import { ATTR_MESSAGING_OPERATION_NAME } from './semconv.ts';
import { setEventAttributes } from './event-attributes.ts';
import { getTracer, SpanStarts } from './tracer.ts';
import type { CloudEvent } from './types.ts';

const starts = new SpanStarts('send', SpanKind.PRODUCER);

/**
 * Starts the PRODUCER span `send {subject}` as a child of the active context. Only the attributes
 * a sampler may look at are passed at start (built once per subject); the rest are set only when
 * the span records, so an unsampled message builds no attribute object at all.
 */
export function startProducerSpan(subject: string, event: CloudEvent, operationName: 'publish' | 'request'): Span {
  const start = starts.for(subject);
  const span = getTracer().startSpan(start.name, start.options, context.active());
  if (span.isRecording()) {
    span.setAttribute(ATTR_MESSAGING_OPERATION_NAME, operationName);
    setEventAttributes(span, event);
  }
  return span;
}
