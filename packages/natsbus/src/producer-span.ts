import { context, SpanKind, type Span } from '@opentelemetry/api';
import {
  ATTR_CLOUDEVENTS_EVENT_ID,
  ATTR_CLOUDEVENTS_EVENT_SOURCE,
  ATTR_CLOUDEVENTS_EVENT_SPEC_VERSION,
  ATTR_CLOUDEVENTS_EVENT_SUBJECT,
  ATTR_CLOUDEVENTS_EVENT_TYPE,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
} from './semconv.ts';
import { getTracer, SpanNames } from './tracer.ts';
import type { CloudEvent } from './types.ts';

const names = new SpanNames('send');

/**
 * Starts the PRODUCER span `send {subject}` as a child of the active context. Only the attributes
 * a sampler may look at are passed at start; the rest are set only when the span records, so an
 * unsampled message builds no attribute object beyond those three.
 */
export function startProducerSpan(subject: string, event: CloudEvent, operationName: 'publish' | 'request'): Span {
  const span = getTracer().startSpan(
    names.for(subject),
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        [ATTR_MESSAGING_SYSTEM]: 'nats',
        [ATTR_MESSAGING_DESTINATION_NAME]: subject,
        [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
      },
    },
    context.active(),
  );
  if (span.isRecording()) {
    span.setAttributes({
      [ATTR_MESSAGING_OPERATION_NAME]: operationName,
      [ATTR_MESSAGING_MESSAGE_ID]: event.id,
      [ATTR_CLOUDEVENTS_EVENT_ID]: event.id,
      [ATTR_CLOUDEVENTS_EVENT_TYPE]: event.type,
      [ATTR_CLOUDEVENTS_EVENT_SOURCE]: event.source,
      [ATTR_CLOUDEVENTS_EVENT_SPEC_VERSION]: event.specversion,
    });
    if (typeof event.subject === 'string') span.setAttribute(ATTR_CLOUDEVENTS_EVENT_SUBJECT, event.subject);
  }
  return span;
}
