/**
 * Attribute, metric and header names natsbus writes. Messaging names follow the OpenTelemetry
 * messaging semantic conventions; CloudEvents names follow the CloudEvents span conventions.
 */

/** `messaging.system` */
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
/** `messaging.destination.name`: the NATS subject. */
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
/** `messaging.operation.type`: `send`, `receive` or `process`. */
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
/** `messaging.operation.name`: `publish`, `request`, `process`... */
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
/** `messaging.destination.template`: the wildcard subscription (or JetStream filter) a subject matched. */
export const ATTR_MESSAGING_DESTINATION_TEMPLATE = 'messaging.destination.template';
/** `server.address` of the NATS server the connection is on. */
export const ATTR_SERVER_ADDRESS = 'server.address';
/** `server.port` of the NATS server the connection is on. */
export const ATTR_SERVER_PORT = 'server.port';
/** `messaging.message.id`: the CloudEvent id. */
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
/** `messaging.message.body.size` in bytes. */
export const ATTR_MESSAGING_MESSAGE_BODY_SIZE = 'messaging.message.body.size';
/** `messaging.consumer.group.name`: queue group or durable name. */
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
/** `messaging.batch.message_count` on batch spans. */
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
/** JetStream stream name. */
export const ATTR_NATS_STREAM_NAME = 'messaging.nats.stream.name';
/** JetStream stream sequence of the message. */
export const ATTR_NATS_STREAM_SEQUENCE = 'messaging.nats.stream.sequence';
/** JetStream consumer sequence of the message. */
export const ATTR_NATS_CONSUMER_SEQUENCE = 'messaging.nats.consumer.sequence';
/** JetStream delivery count (1 on the first delivery). */
export const ATTR_NATS_DELIVERY_COUNT = 'messaging.nats.delivery.count';
/** First stream sequence in a batch. */
export const ATTR_NATS_BATCH_FIRST_SEQUENCE = 'messaging.nats.batch.first_sequence';
/** Last stream sequence in a batch. */
export const ATTR_NATS_BATCH_LAST_SEQUENCE = 'messaging.nats.batch.last_sequence';
/** `cloudevents.event_id` */
export const ATTR_CLOUDEVENTS_EVENT_ID = 'cloudevents.event_id';
/** `cloudevents.event_type` */
export const ATTR_CLOUDEVENTS_EVENT_TYPE = 'cloudevents.event_type';
/** `cloudevents.event_source` */
export const ATTR_CLOUDEVENTS_EVENT_SOURCE = 'cloudevents.event_source';
/** `cloudevents.event_spec_version` */
export const ATTR_CLOUDEVENTS_EVENT_SPEC_VERSION = 'cloudevents.event_spec_version';
/** `cloudevents.event_subject` */
export const ATTR_CLOUDEVENTS_EVENT_SUBJECT = 'cloudevents.event_subject';
/** On a dead-letter PRODUCER span: why the message was given up (a {@link RejectReason}). */
export const ATTR_NATSBUS_DEAD_LETTER_REASON = 'natsbus.dead_letter.reason';
/** `error.type` */
export const ATTR_ERROR_TYPE = 'error.type';

/** Histogram (s) of publish and request operations: the PRODUCER span's duration (messaging semconv). */
export const METRIC_CLIENT_OPERATION_DURATION = 'messaging.client.operation.duration';
/** Histogram (s) of processing a delivered message or batch: the CONSUMER span's duration (messaging semconv). */
export const METRIC_PROCESS_DURATION = 'messaging.process.duration';
/** Counter of messages handed to NATS (messaging semconv). */
export const METRIC_CLIENT_SENT_MESSAGES = 'messaging.client.sent.messages';
/** Counter of messages delivered to natsbus, refused ones included (messaging semconv). */
export const METRIC_CLIENT_CONSUMED_MESSAGES = 'messaging.client.consumed.messages';
/** Bucket boundaries (s) the messaging semconv advises for its duration histograms. */
export const MESSAGING_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Counter of messages refused before or by the handler, by `error.type` (the reason). */
export const METRIC_MESSAGES_REJECTED = 'natsbus.messages.rejected';
/** Counter of copies published to a dead-letter subject, by `error.type`. */
export const METRIC_MESSAGES_DEAD_LETTERED = 'natsbus.messages.dead_lettered';
/** Counter of handler failures (errors and timeouts), by `error.type`. */
export const METRIC_HANDLER_FAILURES = 'natsbus.handler.failures';

/** Dead-letter header: why the message was refused (a {@link RejectReason}). */
export const HEADER_DEAD_LETTER_REASON = 'Natsbus-Dead-Letter-Reason';
/** Dead-letter header: a short human-readable detail (never the payload). */
export const HEADER_DEAD_LETTER_DETAIL = 'Natsbus-Dead-Letter-Detail';
/** Dead-letter header: the subject the message arrived on. */
export const HEADER_ORIGINAL_SUBJECT = 'Natsbus-Original-Subject';
/** Dead-letter header: JetStream stream of the original message. */
export const HEADER_ORIGINAL_STREAM = 'Natsbus-Original-Stream';
/** Dead-letter header: JetStream stream sequence of the original message. */
export const HEADER_ORIGINAL_SEQUENCE = 'Natsbus-Original-Sequence';
/** Dead-letter header: JetStream delivery count when it was given up. */
export const HEADER_DELIVERY_COUNT = 'Natsbus-Delivery-Count';
/** Dead-letter header: the durable consumer (or core subscription) that gave the message up. */
export const HEADER_ORIGINAL_CONSUMER = 'Natsbus-Original-Consumer';
/** JetStream's deduplication header: natsbus sets it to the event id on a JetStream publish. */
export const HEADER_NATS_MSG_ID = 'Nats-Msg-Id';
/** Dead-letter header: the original `Nats-Msg-Id` (the copy carries its own). */
export const HEADER_ORIGINAL_MSG_ID = 'Natsbus-Original-Msg-Id';
/** On a dead-letter PRODUCER span: the stream already held this copy (an earlier attempt stored it). */
export const ATTR_NATSBUS_DEAD_LETTER_DUPLICATE = 'natsbus.dead_letter.duplicate';

/** Structured-mode content type. */
export const CLOUDEVENTS_JSON = 'application/cloudevents+json';

/**
 * Counter of core messages dropped in the process, by `error.type`: `slow_consumer` (the
 * subscription's pending bound was full) or `shutdown` (still waiting when the drain bound ran out).
 */
export const METRIC_MESSAGES_DROPPED = 'natsbus.messages.dropped';
/** On metrics and logs: the subscription (subject or queue group) or durable. */
export const ATTR_NATSBUS_SUBSCRIPTION = 'natsbus.subscription';

/** On a CONSUMER span: trace context that was ignored or cut by the W3C rules (the message was handled). */
export const ATTR_NATSBUS_TRACE_CONTEXT_ISSUE = 'natsbus.trace_context.issue';
/** Counter of received trace contexts ignored or truncated by the W3C rules, by `natsbus.trace_context.issue`. */
export const METRIC_TRACE_CONTEXT_IGNORED = 'natsbus.trace_context.ignored';
/** A `Content-Type` starting with this (any case) marks a structured-mode message (NATS binding §3). */
export const CLOUDEVENTS_MEDIA_PREFIX = 'application/cloudevents';
/** The content-type header as natsbus spells it (the CloudEvents Go SDK's NATS binding reads this spelling). */
export const HEADER_CONTENT_TYPE = 'content-type';
/**
 * Hop-context headers, each written in two spellings: the W3C lower-case names (nats.js
 * `headers.get('traceparent')`, nats.go `Header.Get("traceparent")`) and the canonical MIME names
 * that OpenTelemetry Go's `propagation.HeaderCarrier` reads over `msg.Header`.
 */
export const HEADER_TRACEPARENT = 'traceparent';
/** See {@link HEADER_TRACEPARENT}. */
export const HEADER_TRACEPARENT_CANONICAL = 'Traceparent';
/** See {@link HEADER_TRACEPARENT}. */
export const HEADER_TRACESTATE = 'tracestate';
/** See {@link HEADER_TRACEPARENT}. */
export const HEADER_TRACESTATE_CANONICAL = 'Tracestate';
