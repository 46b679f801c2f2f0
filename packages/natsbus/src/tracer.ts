import {
  metrics,
  ProxyTracerProvider,
  trace,
  type Attributes,
  type Meter,
  type SpanKind,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { ATTR_MESSAGING_DESTINATION_NAME, ATTR_MESSAGING_OPERATION_TYPE, ATTR_MESSAGING_SYSTEM } from './semconv.ts';

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

/** The natsbus meter from the current global provider. */
export function getMeter(): Meter {
  return metrics.getMeter(SCOPE, SCOPE_VERSION);
}

/** What every span of one operation on one subject starts with, built once. */
export interface SpanStart {
  /** `{operation} {subject}` */
  name: string;
  /** The attributes a sampler may look at (read-only: the SDK copies them). */
  attributes: Readonly<Attributes>;
  /** `{ kind, attributes }`, shared by every span without links. */
  options: Readonly<SpanOptions>;
}

/**
 * Span names, start attributes and start options by subject, so the hot path builds no string and
 * no attribute or options object per message (the SDK copies what it is given).
 */
export class SpanStarts {
  readonly #operation: 'send' | 'process';
  readonly #kind: SpanKind;
  readonly #starts = new Map<string, SpanStart>();

  constructor(operation: 'send' | 'process', kind: SpanKind) {
    this.#operation = operation;
    this.#kind = kind;
  }

  /** The start of a span on `subject`. */
  for(subject: string): SpanStart {
    let start = this.#starts.get(subject);
    if (start === undefined) {
      const attributes = Object.freeze({
        [ATTR_MESSAGING_SYSTEM]: 'nats',
        [ATTR_MESSAGING_DESTINATION_NAME]: subject,
        [ATTR_MESSAGING_OPERATION_TYPE]: this.#operation,
      });
      start = {
        name: `${this.#operation} ${subject}`,
        attributes,
        options: Object.freeze({ kind: this.#kind, attributes }),
      };
      if (this.#starts.size >= 10_000) this.#starts.clear();
      this.#starts.set(subject, start);
    }
    return start;
  }
}
