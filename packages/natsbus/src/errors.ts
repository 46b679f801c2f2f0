/** Why a received message was refused; also the `error.type` of its span and metrics. */
export type RejectReason =
  | 'invalid_json'
  | 'invalid_cloudevent'
  | 'unsupported_specversion'
  | 'validation_failed'
  | 'handler_error'
  | 'handler_timeout'
  | 'max_deliver';

/** Base class of every natsbus error: a stable `code` and the `cause` it wraps. */
export class NatsbusError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  constructor(message: string, code = 'natsbus_error', options?: ErrorOptions) {
    super(message, options);
    this.name = 'NatsbusError';
    this.code = code;
  }
}

/** `createBus` options or environment that cannot work (no servers, no source...). */
export class ConfigError extends NatsbusError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'config_error', options);
    this.name = 'ConfigError';
  }
}

/** An event given to `publish` that cannot be sent (no type, bad subject, too large, bus closed). */
export class PublishError extends NatsbusError {
  constructor(message: string, code = 'publish_error', options?: ErrorOptions) {
    super(message, code, options);
    this.name = 'PublishError';
  }
}

/**
 * A received message refused before it reached the handler (bad JSON, not a CloudEvent, bad trace
 * context, rejected by `validate`). `code` is the {@link RejectReason}. The payload is never quoted.
 */
export class InvalidMessageError extends NatsbusError {
  declare readonly code: RejectReason;
  constructor(reason: RejectReason, message: string, options?: ErrorOptions) {
    super(message, reason, options);
    this.name = 'InvalidMessageError';
  }
}

/** A handler that did not settle within `timeoutMs`; the consumer moved on. */
export class HandlerTimeoutError extends NatsbusError {
  constructor(timeoutMs: number) {
    super(`handler did not settle within ${timeoutMs} ms`, 'handler_timeout');
    this.name = 'HandlerTimeoutError';
  }
}

/** A `request` that got no reply, or a reply that is not a valid CloudEvent. */
export class RequestError extends NatsbusError {
  constructor(message: string, code = 'request_error', options?: ErrorOptions) {
    super(message, code, options);
    this.name = 'RequestError';
  }
}
