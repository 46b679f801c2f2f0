import { metrics, ProxyTracerProvider, trace, type Meter, type Tracer, type TracerProvider } from '@opentelemetry/api';

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

/** Span names by subject, so the hot path does not build a string per message. */
export class SpanNames {
  readonly #prefix: string;
  readonly #names = new Map<string, string>();

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** `{prefix} {subject}`. */
  for(subject: string): string {
    let name = this.#names.get(subject);
    if (name === undefined) {
      name = `${this.#prefix} ${subject}`;
      if (this.#names.size >= 10_000) this.#names.clear();
      this.#names.set(subject, name);
    }
    return name;
  }
}
