import type { SpanContext } from '@opentelemetry/api';
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import type { HeaderReader } from './received-headers.ts';
import type { TraceContextIssue } from './trace-context.ts';
import type { BusSubscription, CloudEvent, JetStreamDelivery, SubscriptionStatus } from './types.ts';

/** A received message as natsbus sees it, core or JetStream. */
/** The parts of nats.js's MsgImpl natsbus reads; absent (a future nats.js) means "decode as usual". */
export interface MsgInternals {
  _msg?: { hdr?: number };
  _rdata?: Uint8Array;
}

export interface RawMessage {
  subject: string;
  headers: MsgHdrs | undefined;
  data: Uint8Array;
  /** Core only: where a request wants its reply. */
  reply?: string;
  /** JetStream only. */
  delivery?: JetStreamDelivery;
  /**
   * True when the headers are known to hold only the structured-mode content type and the hop's
   * trace headers (no `ce-`, nothing else): then the hop values below stand for the headers.
   */
  structuredOnly?: boolean;
  /** With `structuredOnly`: the hop `traceparent` header, if any. */
  hopTraceparent?: string | undefined;
  /** With `structuredOnly`: the hop `tracestate` header, if any. */
  hopTracestate?: string | undefined;
  /** The headers for natsbus's own reads (a lighter reading of the same block); `headers` when absent. */
  readHeaders?(): HeaderReader | undefined;
}

/** A decoded, checked message with its trace contexts. */
export interface DecodedMessage {
  event: CloudEvent;
  /** Context of the hop that delivered it (NATS headers), else undefined. */
  hop: SpanContext | undefined;
  /** Creation context from the envelope's `traceparent` extension. */
  creation: SpanContext | undefined;
  /** Trace context that was ignored or cut by the W3C rules (the message is still handled). */
  traceIssue?: TraceContextIssue | undefined;
}

/** How the consumer span is parented and labelled. */
export interface ConsumerSpanSettings {
  /** Queue group or durable. */
  group: string | undefined;
  /** `parent` or `link`. */
  links: 'parent' | 'link';
  /** `process` by default; `receive`-style names are not used. */
  operationName: string;
  /** The wildcard subscription or JetStream filter subject: names spans and metrics (low cardinality). */
  template?: string | undefined;
  /** The connection, for `server.address` / `server.port`. */
  connection?: NatsConnection | undefined;
}

/** A subscription or consumer as the bus tracks it: with its flow status. */
export interface TrackedSubscription extends BusSubscription {
  status(): SubscriptionStatus;
}
