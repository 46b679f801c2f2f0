import { ROOT_CONTEXT, SpanKind, trace, type Context, type Link, type Span } from '@opentelemetry/api';
import type { DecodedMessage, RawMessage } from './internal-types.ts';
import {
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_TEMPLATE,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_NATS_BATCH_FIRST_SEQUENCE,
  ATTR_NATS_BATCH_LAST_SEQUENCE,
  ATTR_NATS_STREAM_NAME,
} from './semconv.ts';
import { MeteredSpan } from './metered-span.ts';
import { consumedTally, recordProcessed } from './messaging-metrics.ts';
import { destinationTemplate, getTracer, SpanStarts } from './tracer.ts';

const starts = new SpanStarts('process', SpanKind.CONSUMER, 'process', consumedTally);

/**
 * One CONSUMER span for a batch: a new root with a link to each message's creation context (the
 * messaging semconv's SHOULD; the hop context when a message has none), the message count and the
 * first and last stream sequence, so lag and partial failures can be traced back to single
 * messages. A wildcard filter is the destination template; `messaging.destination.name` is the
 * subject, set only when every message has the same one (messaging semconv for batches). Its end records
 * `messaging.process.duration` once and counts every message consumed.
 */
export function startBatchSpan(
  destination: string,
  stream: string,
  durable: string,
  batch: { raw: RawMessage; decoded: DecodedMessage }[],
): { span: Span; context: Context } {
  const links: Link[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  const template = destinationTemplate(destination);
  let name: string | undefined = batch[0]?.raw.subject;
  for (const { raw, decoded } of batch) {
    if (raw.subject !== name) name = undefined;
    const linked = decoded.creation ?? decoded.hop;
    if (linked !== undefined) {
      links.push({ context: linked, attributes: { [ATTR_MESSAGING_DESTINATION_NAME]: raw.subject } });
    }
    const seq = raw.delivery?.streamSequence ?? 0;
    if (seq < first) first = seq;
    if (seq > last) last = seq;
  }
  const span = getTracer().startSpan(
    `process ${destination}`,
    {
      kind: SpanKind.CONSUMER,
      root: true,
      links,
      attributes: {
        [ATTR_MESSAGING_SYSTEM]: 'nats',
        ...(name === undefined ? {} : { [ATTR_MESSAGING_DESTINATION_NAME]: name }),
        ...(template === undefined ? {} : { [ATTR_MESSAGING_DESTINATION_TEMPLATE]: template }),
        [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
        [ATTR_MESSAGING_OPERATION_NAME]: 'process',
        [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: durable,
        [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: batch.length,
        [ATTR_NATS_STREAM_NAME]: stream,
        [ATTR_NATS_BATCH_FIRST_SEQUENCE]: first,
        [ATTR_NATS_BATCH_LAST_SEQUENCE]: last,
      },
    },
    ROOT_CONTEXT,
  );
  // batch metrics name the filter subject (or stream) as the destination: one entry per consumer
  const tally = starts.for(destination, template).metricTally(undefined, durable);
  const metered = new MeteredSpan(span, tally, recordProcessed, batch.length);
  return { span: metered, context: trace.setSpan(ROOT_CONTEXT, span) };
}
