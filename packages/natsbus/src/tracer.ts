import {
  ProxyTracerProvider,
  trace,
  type Attributes,
  type SpanKind,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import {
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_TEMPLATE,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from './semconv.ts';
import type { MessageTally } from './messaging-metrics.ts';
import type { ServerAddress } from './server-address.ts';

/** Instrumentation scope name of natsbus spans and metrics. */
export const SCOPE = '@service-runtime/natsbus';
/** Version reported with the scope. */
export const SCOPE_VERSION = '0.1.0';

let cached: { provider: TracerProvider; tracer: Tracer } | undefined;

/**
 * The natsbus tracer from the current global provider. `trace.getTracer` costs a few microseconds
 * per call, so the tracer is cached and looked up again only when the global provider behind the
 * API proxy changes (late `initObservability`, tests installing a new provider).
 */
export function getTracer(): Tracer {
  const global = trace.getTracerProvider();
  const provider = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  if (cached === undefined || cached.provider !== provider) {
    cached = { provider, tracer: trace.getTracer(SCOPE, SCOPE_VERSION) };
  }
  return cached.tracer;
}

/** What every span of one operation on one destination starts with, built once. */
export class SpanStart {
  /** `{messaging.operation.name} {destination}`: the template when there is one, else the subject. */
  readonly name: string;
  /** The attributes a sampler may look at (read-only: the SDK copies them). */
  readonly attributes: Readonly<Attributes>;
  /** `{ kind, attributes }`, shared by every span without links. */
  readonly options: Readonly<SpanOptions>;
  /** `{ kind }`, for when nothing can read start attributes (see {@link startOptions}). */
  readonly kindOnly: Readonly<SpanOptions>;
  readonly #metricBase: Attributes;
  readonly #tallies = new Map<string, MessageTally>();
  readonly #tallyOf: ((attributes: Attributes) => MessageTally) | undefined;

  constructor(
    kind: SpanKind,
    type: OperationType,
    operation: string,
    subject: string,
    template?: string,
    tallyOf?: (attributes: Attributes) => MessageTally,
  ) {
    this.#tallyOf = tallyOf;
    const destination: Attributes =
      template === undefined
        ? { [ATTR_MESSAGING_DESTINATION_NAME]: subject }
        : { [ATTR_MESSAGING_DESTINATION_NAME]: subject, [ATTR_MESSAGING_DESTINATION_TEMPLATE]: template };
    this.attributes = Object.freeze({
      [ATTR_MESSAGING_SYSTEM]: 'nats',
      [ATTR_MESSAGING_OPERATION_TYPE]: type,
      [ATTR_MESSAGING_OPERATION_NAME]: operation,
      ...destination,
    });
    this.name = `${operation} ${template ?? subject}`;
    this.options = Object.freeze({ kind, attributes: this.attributes });
    this.kindOnly = Object.freeze({ kind });
    // metrics carry the low-cardinality destination: the template when there is one
    this.#metricBase = {
      [ATTR_MESSAGING_SYSTEM]: 'nats',
      [ATTR_MESSAGING_OPERATION_TYPE]: type,
      [ATTR_MESSAGING_OPERATION_NAME]: operation,
      ...(template === undefined
        ? { [ATTR_MESSAGING_DESTINATION_NAME]: subject }
        : { [ATTR_MESSAGING_DESTINATION_TEMPLATE]: template }),
    };
  }

  /**
   * The options to start a span without links: with the start attributes whenever a sampler or span
   * processor can read them at the start, else without them (then {@link SpanStart.attributes}
   * go on with the other attributes, only when the span records).
   */
  startOptions(observed: boolean): Readonly<SpanOptions> {
    return observed ? this.options : this.kindOnly;
  }

  /** The metric tally for spans on `server` (and consumer `group`), found once per pair. */
  metricTally(server: ServerAddress | undefined, group?: string): MessageTally {
    const key = group === undefined ? (server?.key ?? '') : `${server?.key ?? ''}|${group}`;
    let tally = this.#tallies.get(key);
    if (tally === undefined) {
      const attributes: Attributes = { ...this.#metricBase };
      if (group !== undefined) attributes[ATTR_MESSAGING_CONSUMER_GROUP_NAME] = group;
      if (server !== undefined) {
        attributes[ATTR_SERVER_ADDRESS] = server.address;
        if (server.port !== undefined) attributes[ATTR_SERVER_PORT] = server.port;
      }
      Object.freeze(attributes);
      // spans without metrics keep a tally of their own, observed by no counter
      tally =
        this.#tallyOf === undefined
          ? { attributes, total: 0, failed: new Map(), family: { tallies: new Map(), sets: 0 } }
          : this.#tallyOf(attributes);
      if (this.#tallies.size >= 100) this.#tallies.clear();
      this.#tallies.set(key, tally);
    }
    return tally;
  }
}

/** `messaging.operation.type` values natsbus uses. */
export type OperationType = 'send' | 'process';

/**
 * Span names, start attributes and start options by destination, so the hot path builds no string
 * and no attribute or options object per message (the SDK copies what it is given). The operation
 * name is `publish` for `send` and `process` for `process` unless given.
 */
export class SpanStarts {
  readonly #type: OperationType;
  readonly #operation: string;
  readonly #kind: SpanKind;
  readonly #starts = new Map<string, SpanStart>();
  readonly #tallyOf: ((attributes: Attributes) => MessageTally) | undefined;

  /** `tallyOf` finds the metric tally of an attribute set (spans without metrics leave it out). */
  constructor(
    type: OperationType,
    kind: SpanKind,
    operation: string = type === 'send' ? 'publish' : 'process',
    tallyOf?: (attributes: Attributes) => MessageTally,
  ) {
    this.#type = type;
    this.#kind = kind;
    this.#operation = operation;
    this.#tallyOf = tallyOf;
  }

  /** The start of a span on `subject`, named by `template` (a wildcard subscription) when given. */
  for(subject: string, template?: string): SpanStart {
    const key = template === undefined ? subject : `${template} ${subject}`;
    let start = this.#starts.get(key);
    if (start === undefined) {
      start = new SpanStart(this.#kind, this.#type, this.#operation, subject, template, this.#tallyOf);
      if (this.#starts.size >= 10_000) this.#starts.clear();
      this.#starts.set(key, start);
    }
    return start;
  }
}

/** A subscription subject with wildcards (`*`, `>`) is the destination template of what it receives. */
export function destinationTemplate(subject: string | undefined): string | undefined {
  return subject !== undefined && (subject.includes('*') || subject.includes('>')) ? subject : undefined;
}
