import type { Span } from '@opentelemetry/api';
import type { Logger } from '@service-runtime/observability';
import type { NatsConnection, ConnectionOptions, MsgHdrs } from '@nats-io/transport-node';
import type { RejectReason } from './errors.ts';

/** Attributes every CloudEvent carries once it is on the wire. */
export interface CloudEventAttributes {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  /** Distributed Tracing extension: the creation context, set once and never rewritten. */
  traceparent?: string;
  /** Distributed Tracing extension: the creation `tracestate`. */
  tracestate?: string;
}

/** A received CloudEvent: attributes and extensions as properties, `data` decoded. */
export interface CloudEvent<T = unknown> extends CloudEventAttributes {
  data?: T;
  /** Extension attributes (lower-case alphanumeric names). */
  [extension: string]: unknown;
}

/**
 * What `publish` takes: at least `type` and `data`. Missing `id`, `time`, `specversion` and `source`
 * are filled in; a received event passed back in keeps its `id`, `source` and extensions.
 */
export interface EventInput<T = unknown> {
  type: string;
  data?: T;
  id?: string;
  source?: string;
  specversion?: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  [extension: string]: unknown;
}

/** Options for `createBus`. Environment variables override them where one exists. */
export interface BusOptions {
  /** Servers to connect to (`nats://host:port`); ignored when `connection` is given. */
  servers?: string | string[];
  /** An existing connection to wrap; `close()` then leaves it open unless `closeConnection`. */
  connection?: NatsConnection;
  /** Close a wrapped `connection` on `close()`. Default false. */
  closeConnection?: boolean;
  /** The CloudEvents `source` of events this service creates, e.g. `/orders-service`. */
  source: string;
  /** Connection name shown by the server. */
  name?: string;
  /** Further `@nats-io/transport-node` connect options (credentials, reconnect...). */
  connectOptions?: Omit<ConnectionOptions, 'servers' | 'name'>;
  /** Subjects (NATS wildcards `*` and `>`) that get no trace context; `NATSBUS_EXTERNAL_SUBJECTS` adds to them. */
  externalSubjects?: string[];
  /** Default content mode of `publish`. Default `structured`. */
  contentMode?: ContentMode;
  /** Register `close()` with observability's `onShutdown`. Default true. */
  closeOnShutdown?: boolean;
}

/** Structured: one JSON envelope; binary: `ce-*` headers and the data as the body. */
export type ContentMode = 'structured' | 'binary';

/** Options for `publish`. */
export interface PublishOptions {
  /** Content mode of this message; default the bus's. */
  contentMode?: ContentMode;
  /** Publish to JetStream and await the PubAck; `Nats-Msg-Id` is the event id (dedupe). */
  jetstream?: boolean;
  /** PubAck timeout for JetStream publishes. Default 5000. */
  timeoutMs?: number;
  /**
   * JetStream only: keep retrying a publish that timed out, found no responders, lost its
   * connection or met a 5xx JetStream answer (no leader yet), with a growing pause, for up to this
   * many ms. Safe: the retry carries the same `Nats-Msg-Id`, so the stream stores the event once.
   * Default 0 (one attempt).
   */
  retryForMs?: number;
  /**
   * The caller's own NATS headers, sent as given. Names natsbus or NATS own are refused with a
   * PublishError (`reserved_header`): `content-type`, `traceparent`, `tracestate`, `ce-*`,
   * `Nats-*`, `Natsbus-*`, in any spelling.
   */
  headers?: Readonly<Record<string, string | readonly string[]>>;
}

/** What `publish` resolves to. */
export interface PublishResult {
  /** The CloudEvent id (generated or kept). */
  id: string;
  /** JetStream only: the stream and sequence that stored it. */
  stream?: string;
  seq?: number;
  /** JetStream only: true when the server dropped it as a duplicate id. */
  duplicate?: boolean;
}

/** What a handler gets besides the event. */
export interface HandlerContext {
  /** Subject the message arrived on. */
  readonly subject: string;
  /** NATS headers of the message, if any. */
  readonly headers: MsgHdrs | undefined;
  /** The CONSUMER span the handler runs in. */
  readonly span: Span;
  /** Logger bound to the subject and event id (and trace ids through the span). */
  readonly logger: Logger;
  /** JetStream only: delivery details. */
  readonly jetstream?: JetStreamDelivery;
  /**
   * Aborted (with the HandlerTimeoutError) when the handler runs past `timeoutMs`: a promise cannot
   * be cancelled, so pass it on (fetch, timers) to stop work nobody waits for any more.
   */
  readonly signal: AbortSignal;
}

/** JetStream delivery details handed to handlers. */
export interface JetStreamDelivery {
  stream: string;
  streamSequence: number;
  deliveryCount: number;
}

/** Handles one event; may be async. A throw or rejection counts as a failure. */
export type EventHandler<T = unknown> = (event: CloudEvent<T>, ctx: HandlerContext) => unknown;

/** Returns `false` or throws to refuse the event's data (reason `validation_failed`). */
export type Validator<T = unknown> = (data: unknown, event: CloudEvent<T>) => unknown;

/** Options shared by `subscribe` and `consume`. */
export interface HandlerOptions<T = unknown> {
  /** Where refused and failed messages are republished unchanged. */
  deadLetterSubject?: string;
  /** `parent` (default): hop context is the parent; `link`: a new root with links. */
  consumerLinks?: 'parent' | 'link';
  /** Checks the decoded data before the handler runs. */
  validate?: Validator<T>;
  /** A handler still pending after this long is failed and the next message goes on. Default 30000. */
  timeoutMs?: number;
}

/** Options for `subscribe` and `reply`. */
export interface SubscribeOptions<T = unknown> extends HandlerOptions<T> {
  /** Queue group: each message goes to one member. */
  queue?: string;
  /** Handlers running at once. Default 1 (in arrival order). */
  concurrency?: number;
  /**
   * Most messages waiting in the process for a handler. Past it (or `maxPendingBytes`) a message is
   * dropped as a slow consumer's would be: counted (`natsbus.messages.dropped`), logged at most once
   * per 10 s, shown by `bus.status()`. Core NATS is at most once. Default 1000.
   */
  maxPendingMessages?: number;
  /** Most bytes (body and headers) waiting in the process. Default 8 MiB. */
  maxPendingBytes?: number;
}

/** Flow state of one subscription or consumer, for readiness checks and dashboards. */
export interface SubscriptionStatus {
  kind: 'core' | 'jetstream';
  /** Subject (core) or durable (JetStream). */
  name: string;
  /** Core queue group. */
  queue?: string;
  /** Handlers running now. */
  running: number;
  /** Messages waiting in the process for a handler (JetStream: pulled, not started). */
  pending: number;
  /** Bytes of the waiting messages (core). */
  pendingBytes: number;
  /** Messages whose handler finished (or that were refused). */
  handled: number;
  /** Core messages dropped in the process (pending bound full, or left at the end of a drain). */
  dropped: number;
}

/** What `bus.status()` reports. */
export interface BusStatus {
  /** True while the connection is open and not reconnecting. */
  connected: boolean;
  /** True once `close()` began. */
  closing: boolean;
  subscriptions: SubscriptionStatus[];
}

/** Options of `drain()` and `close()`. */
export interface DrainOptions {
  /**
   * How long running handlers may take to finish. After it, JetStream messages still in a handler
   * are handed back (nak) and core messages not yet handled are dropped (counted). Default: the
   * handler timeout for a drain; `NATSBUS_DRAIN_TIMEOUT_MS` (else 10000) for `close()`.
   */
  timeoutMs?: number;
}

/** A live subscription or consumer. */
export interface BusSubscription {
  /** Stops delivery now; a handler already running finishes on its own. */
  unsubscribe(): void;
  /**
   * Stops taking new messages at once and lets running handlers finish within the bound. JetStream
   * messages pulled but not started are handed back at once (nak, no delay).
   */
  drain(options?: DrainOptions): Promise<void>;
}

/** Which JetStream consumer to read. */
export interface ConsumerSpec {
  stream: string;
  durable: string;
  /** Created with this filter when the durable does not exist yet. */
  filterSubject?: string;
}

/** Options for `consume` and `consumeBatch`. */
export interface ConsumeOptions<T = unknown> extends HandlerOptions<T> {
  /** Deliveries before giving up (term + dead letter). Default 5. */
  maxDeliver?: number;
  /** Nak delay per attempt (last entry repeats), or one delay for all. Default [1000, 5000, 30000]. */
  backoffMs?: number | number[];
  /**
   * Most messages one pull asks for beyond the free handler slots (batch: handed to a batch handler
   * at most). Single: pulls are also capped by what the measured handler time lets start within
   * half the ack wait. Default 100 (batch 10).
   */
  batchSize?: number;
  /** Single only: handlers running at once. Default 1 (in stream order). */
  concurrency?: number;
  /**
   * Ack wait of a consumer natsbus creates (or updates when given): a message not acked, naked or
   * reported in progress within it is redelivered. Progress is sent for held messages each third
   * of it. Default `timeoutMs` + 10000.
   */
  ackWaitMs?: number;
  /** Most unacknowledged messages the server lets this consumer have (all instances together). Server default 1000. */
  maxAckPending?: number;
  /** Batch only: how long one fetch waits to fill a batch, at least 1000. Default 1000. */
  maxWaitMs?: number;
}

/** Handles several JetStream events together; throwing fails (naks) all of them. */
export type BatchHandler<T = unknown> = (events: CloudEvent<T>[], ctx: BatchContext) => unknown;

/** What a batch handler gets besides the events. */
export interface BatchContext {
  readonly span: Span;
  readonly logger: Logger;
  readonly deliveries: JetStreamDelivery[];
}

/** Options for `ensureStream`. */
export interface StreamSpec {
  name: string;
  subjects: string[];
  /** Dedupe window for `Nats-Msg-Id` in milliseconds. Default 120000. */
  duplicateWindowMs?: number;
  /** `file` (default) or `memory`. */
  storage?: 'file' | 'memory';
  /** Copies kept in a JetStream cluster (1 to 5, at most the cluster size). Default 1. */
  replicas?: number;
}

/** Options for `request`. */
export interface RequestOptions extends Pick<PublishOptions, 'contentMode'> {
  /** Default 5000. */
  timeoutMs?: number;
}

/** Answers a request: the returned input is sent back as a CloudEvent. */
export type ReplyHandler<T = unknown> = (event: CloudEvent<T>, ctx: HandlerContext) => EventInput | Promise<EventInput>;

/** The bus. */
export interface Bus {
  /** The underlying connection (for things natsbus does not wrap). */
  readonly connection: NatsConnection;
  /** The CloudEvents `source` filled into new events. */
  readonly source: string;
  publish<T>(subject: string, event: EventInput<T>, options?: PublishOptions): Promise<PublishResult>;
  subscribe<T>(subject: string, handler: EventHandler<T>, options?: SubscribeOptions<T>): BusSubscription;
  request<T, R = unknown>(subject: string, event: EventInput<T>, options?: RequestOptions): Promise<CloudEvent<R>>;
  reply<T>(subject: string, handler: ReplyHandler<T>, options?: SubscribeOptions<T>): BusSubscription;
  ensureStream(spec: StreamSpec): Promise<void>;
  consume<T>(spec: ConsumerSpec, handler: EventHandler<T>, options?: ConsumeOptions<T>): Promise<BusSubscription>;
  consumeBatch<T>(spec: ConsumerSpec, handler: BatchHandler<T>, options?: ConsumeOptions<T>): Promise<BusSubscription>;
  /** Sends every queued publish to the server and waits for it to acknowledge the flush. */
  flush(): Promise<void>;
  /** Flow state of every subscription and consumer: running, waiting, handled, dropped. */
  status(): BusStatus;
  /**
   * Stops every subscription and consumer taking work, lets running handlers finish within the
   * bound (`timeoutMs`, else `NATSBUS_DRAIN_TIMEOUT_MS`, else 10000), flushes and closes. Safe to
   * call twice.
   */
  close(options?: DrainOptions): Promise<void>;
}

export type { RejectReason };
