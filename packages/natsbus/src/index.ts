export { createBus } from './bus.ts';
export { idempotent, createDedupeWindow } from './idempotency.ts';
export {
  NatsbusError,
  ConfigError,
  PublishError,
  InvalidMessageError,
  HandlerTimeoutError,
  RequestError,
} from './errors.ts';
export { REPLY_ERROR_TYPE } from './request-reply.ts';
export {
  HEADER_DEAD_LETTER_REASON,
  HEADER_DEAD_LETTER_DETAIL,
  HEADER_ORIGINAL_SUBJECT,
  HEADER_ORIGINAL_STREAM,
  HEADER_ORIGINAL_SEQUENCE,
  HEADER_DELIVERY_COUNT,
  HEADER_ORIGINAL_CONSUMER,
  HEADER_ORIGINAL_MSG_ID,
  METRIC_MESSAGES_REJECTED,
  METRIC_MESSAGES_DEAD_LETTERED,
  METRIC_HANDLER_FAILURES,
  METRIC_MESSAGES_DROPPED,
  METRIC_TRACE_CONTEXT_IGNORED,
  CLOUDEVENTS_JSON,
} from './semconv.ts';

export type { RejectReason } from './errors.ts';
export type { DedupeOptions, DedupeWindow } from './idempotency.ts';
export type {
  Bus,
  BusOptions,
  BusStatus,
  BusSubscription,
  BatchContext,
  BatchHandler,
  CloudEvent,
  CloudEventAttributes,
  ConsumeOptions,
  ConsumerSpec,
  ContentMode,
  DrainOptions,
  EventHandler,
  EventInput,
  HandlerContext,
  HandlerOptions,
  JetStreamDelivery,
  PublishOptions,
  PublishResult,
  ReplyHandler,
  RequestOptions,
  StreamSpec,
  SubscribeOptions,
  SubscriptionStatus,
  Validator,
} from './types.ts';
