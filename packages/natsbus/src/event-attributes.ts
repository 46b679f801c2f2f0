import type { Span } from '@opentelemetry/api';
import {
  ATTR_CLOUDEVENTS_EVENT_ID,
  ATTR_CLOUDEVENTS_EVENT_SOURCE,
  ATTR_CLOUDEVENTS_EVENT_SPEC_VERSION,
  ATTR_CLOUDEVENTS_EVENT_SUBJECT,
  ATTR_CLOUDEVENTS_EVENT_TYPE,
  ATTR_MESSAGING_MESSAGE_ID,
} from './semconv.ts';
import type { CloudEvent } from './types.ts';

/** The message id and CloudEvents attributes that PRODUCER and CONSUMER spans both carry. */
export function setEventAttributes(span: Span, event: CloudEvent): void {
  span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, event.id);
  span.setAttribute(ATTR_CLOUDEVENTS_EVENT_ID, event.id);
  span.setAttribute(ATTR_CLOUDEVENTS_EVENT_TYPE, event.type);
  span.setAttribute(ATTR_CLOUDEVENTS_EVENT_SOURCE, event.source);
  span.setAttribute(ATTR_CLOUDEVENTS_EVENT_SPEC_VERSION, event.specversion);
  if (typeof event.subject === 'string') span.setAttribute(ATTR_CLOUDEVENTS_EVENT_SUBJECT, event.subject);
}
