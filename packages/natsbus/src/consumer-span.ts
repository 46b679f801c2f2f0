import { ROOT_CONTEXT, SpanKind, trace, type Context, type Link, type Span } from '@opentelemetry/api';
import type { ConsumerSpanSettings, DecodedMessage, RawMessage } from './internal-types.ts';
import {
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_NATS_DELIVERY_COUNT,
  ATTR_NATS_STREAM_NAME,
  ATTR_NATS_STREAM_SEQUENCE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from './semconv.ts';
import { startAttributesObserved } from '@service-runtime/observability';
import { sameSpan } from './trace-headers.ts';
import { setEventAttributes } from './event-attributes.ts';
import { MeteredSpan } from './metered-span.ts';
import { consumedTally, recordProcessed } from './messaging-metrics.ts';
import { serverOf, type ServerAddress } from './server-address.ts';
import { getTracer, SpanStarts } from './tracer.ts';

const starts = new SpanStarts('process', SpanKind.CONSUMER, 'process', consumedTally);

/** A started consumer span and the context the handler runs in. */
export interface ConsumerSpan {
  span: Span;
  context: Context;
}

/**
 * Starts the CONSUMER span `process {destination}` (the wildcard subscription or JetStream filter
 * when there is one, else the subject); its end records `messaging.process.duration` and
 * `messaging.client.consumed.messages`, refused messages included (with `error.type`). With `parent` links its parent is the hop context
 * (headers, else the envelope's creation context) and the creation context is linked when it
 * differs; with `link` it is a new root linked to both. `decoded` is undefined for a message that
 * could not be decoded: the span is then a root (or a child of a valid hop header).
 */
export function startConsumerSpan(
  message: RawMessage,
  decoded: DecodedMessage | undefined,
  settings: ConsumerSpanSettings,
): ConsumerSpan {
  const hop = decoded?.hop ?? decoded?.creation;
  const creation = decoded?.creation;
  let parent = ROOT_CONTEXT;
  let links: Link[] | undefined;
  if (hop !== undefined) {
    if (settings.links === 'parent') {
      parent = trace.setSpanContext(ROOT_CONTEXT, hop);
      if (creation !== undefined && !sameSpan(hop, creation)) links = [{ context: creation }];
    } else {
      links = [{ context: hop }];
      if (creation !== undefined && !sameSpan(hop, creation)) links.push({ context: creation });
    }
  }
  const start = starts.for(message.subject, settings.template);
  const observed = startAttributesObserved();
  const options =
    links === undefined && settings.links === 'parent'
      ? start.startOptions(observed)
      : { ...start.startOptions(observed), links, root: settings.links === 'link' };
  const span = getTracer().startSpan(start.name, options, parent);
  const server = serverOf(settings.connection);
  if (span.isRecording()) {
    if (!observed) span.setAttributes(start.attributes);
    setConsumerAttributes(span, message, decoded, settings, server);
  }
  const metered = new MeteredSpan(span, start.metricTally(server, settings.group), recordProcessed);
  // the parent context holds nothing but the hop span, which the new span replaces
  return { span: metered, context: trace.setSpan(ROOT_CONTEXT, span) };
}

function setConsumerAttributes(
  span: Span,
  message: RawMessage,
  decoded: DecodedMessage | undefined,
  settings: ConsumerSpanSettings,
  server: ServerAddress | undefined,
): void {
  span.setAttribute(ATTR_MESSAGING_OPERATION_NAME, settings.operationName);
  if (server !== undefined) {
    span.setAttribute(ATTR_SERVER_ADDRESS, server.address);
    if (server.port !== undefined) span.setAttribute(ATTR_SERVER_PORT, server.port);
  }
  span.setAttribute(ATTR_MESSAGING_MESSAGE_BODY_SIZE, message.data.length);
  if (settings.group !== undefined) span.setAttribute(ATTR_MESSAGING_CONSUMER_GROUP_NAME, settings.group);
  const delivery = message.delivery;
  if (delivery !== undefined) {
    span.setAttribute(ATTR_NATS_STREAM_NAME, delivery.stream);
    span.setAttribute(ATTR_NATS_STREAM_SEQUENCE, delivery.streamSequence);
    span.setAttribute(ATTR_NATS_DELIVERY_COUNT, delivery.deliveryCount);
  }
  const event = decoded?.event;
  if (event === undefined) return;
  setEventAttributes(span, event);
}
