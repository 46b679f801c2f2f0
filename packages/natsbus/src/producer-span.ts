import { context, SpanKind, type Span } from '@opentelemetry/api';
import type { NatsConnection } from '@nats-io/transport-node';
import { startAttributesObserved } from '@service-runtime/observability';
import { setEventAttributes } from './event-attributes.ts';
import { MeteredSpan } from './metered-span.ts';
import { recordSent, sentTally } from './messaging-metrics.ts';
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from './semconv.ts';
import { serverOf } from './server-address.ts';
import { parseTraceparent } from './trace-context.ts';
import { getTracer, SpanStarts } from './tracer.ts';
import type { CloudEvent } from './types.ts';

const starts = {
  publish: new SpanStarts('send', SpanKind.PRODUCER, 'publish', sentTally),
  request: new SpanStarts('send', SpanKind.PRODUCER, 'request', sentTally),
};

/**
 * Starts the PRODUCER span `{publish|request} {subject}` as a child of the active context; its end
 * records `messaging.client.operation.duration` and `messaging.client.sent.messages`. Only the
 * attributes a sampler may look at are passed at start (built once per subject), and only when a
 * sampler or span processor can read them there; the rest are set only when the span records. A forwarded event keeps its creation context, which the span links
 * (messaging semconv: a "Send" span links the creation context injected into the message).
 */
export function startProducerSpan(
  subject: string,
  event: CloudEvent,
  operationName: 'publish' | 'request',
  nc?: NatsConnection,
): Span {
  const start = starts[operationName].for(subject);
  const creation = typeof event.traceparent === 'string' ? parseTraceparent(event.traceparent) : undefined;
  const observed = startAttributesObserved();
  const bare = start.startOptions(observed);
  const options = creation === undefined ? bare : { ...bare, links: [{ context: creation }] };
  const span = getTracer().startSpan(start.name, options, context.active());
  const server = serverOf(nc);
  if (span.isRecording()) {
    if (!observed) span.setAttributes(start.attributes);
    setEventAttributes(span, event);
    if (server !== undefined) {
      span.setAttribute(ATTR_SERVER_ADDRESS, server.address);
      if (server.port !== undefined) span.setAttribute(ATTR_SERVER_PORT, server.port);
    }
  }
  return new MeteredSpan(span, start.metricTally(server), recordSent);
}
