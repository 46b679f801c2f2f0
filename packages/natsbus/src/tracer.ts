import { metrics, trace, type Meter, type Tracer } from '@opentelemetry/api';

/** Instrumentation scope name of natsbus spans and metrics. */
export const SCOPE = '@service-runtime/natsbus';
/** Version reported with the scope. */
export const SCOPE_VERSION = '0.1.0';

/** The natsbus tracer from the current global provider (looked up per call, so late init works). */
export function getTracer(): Tracer {
  return trace.getTracer(SCOPE, SCOPE_VERSION);
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
