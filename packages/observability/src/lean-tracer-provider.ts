import type { Tracer, TracerOptions, TracerProvider } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { defaultResource, type Resource } from '@opentelemetry/resources';
import type { IdGenerator, Sampler, SpanLimits, SpanProcessor } from '@opentelemetry/sdk-trace';
import { BoundedBatchSpanProcessor } from './batch-processor.ts';
import { ConstantSampler, ParentOrRootSampler } from './lean-samplers.ts';
import { LeanTracer } from './lean-tracer.ts';
import { PooledRandomIdGenerator } from './random-ids.ts';
import type { SpanScope } from './recording-span.ts';
import { completeSpanLimits, resolveSpanLimits, type ResolvedSpanLimits } from './span-limits.ts';

/** What {@link LeanTracerProvider} takes: the SDK `TracerProvider`'s options without its meter. */
export interface LeanTracerProviderOptions {
  resource?: Resource;
  /** Any SDK `Sampler`; parent-based always-on when unset. */
  sampler?: Sampler;
  /** Any SDK `SpanProcessor`s, called in order. */
  spanProcessors?: SpanProcessor[];
  idGenerator?: IdGenerator;
  /** When unset, the limits come from the `OTEL_*_LIMIT` environment variables. */
  spanLimits?: SpanLimits;
}

const DEFAULT_FLUSH_TIMEOUT_MS = 30_000;
const EMPTY_ON_START = BoundedBatchSpanProcessor.prototype.onStart;

/**
 * The toolkit's own implementation of the `@opentelemetry/api` tracer provider: spans record with
 * the SDK's semantics but without its per-span overhead, and end straight into the span processors
 * (the bounded batch processor and its OTLP encoder, or any SDK `SpanProcessor`).
 */
export class LeanTracerProvider implements TracerProvider {
  readonly #resource: Resource;
  readonly #sampler: Sampler;
  readonly #ids: IdGenerator;
  readonly #limits: ResolvedSpanLimits;
  readonly #processors: readonly SpanProcessor[];
  readonly #tracers = new Map<string, LeanTracer>();

  constructor(options: LeanTracerProviderOptions = {}) {
    this.#resource = options.resource ?? defaultResource();
    this.#sampler = options.sampler ?? new ParentOrRootSampler(new ConstantSampler(true));
    this.#ids = options.idGenerator ?? new PooledRandomIdGenerator();
    this.#limits = options.spanLimits ? completeSpanLimits(options.spanLimits) : resolveSpanLimits();
    this.#processors = [...(options.spanProcessors ?? [])];
  }

  /** One tracer, and one frozen scope object, per name, version and schema URL. */
  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    const key = `${name}@${version || ''}:${options?.schemaUrl || ''}`;
    let tracer = this.#tracers.get(key);
    if (tracer === undefined) {
      const scope: InstrumentationScope = Object.freeze({ name, version, schemaUrl: options?.schemaUrl });
      tracer = new LeanTracer(this.#spanScope(scope), this.#sampler, this.#ids);
      this.#tracers.set(key, tracer);
    }
    return tracer;
  }

  /**
   * Flushes every processor, each bounded by `timeoutMillis`; rejects with the list of failures
   * (errors or timeouts), as the SDK's provider does.
   */
  forceFlush(options: { timeoutMillis?: number } = {}): Promise<void> {
    const timeout = options.timeoutMillis ?? DEFAULT_FLUSH_TIMEOUT_MS;
    const outcomes = this.#processors.map(
      (processor) =>
        new Promise<unknown>((resolve) => {
          const timer = setTimeout(
            () => resolve(new Error(`Span processor did not completed within timeout period of ${timeout} ms`)),
            timeout,
          );
          processor.forceFlush().then(
            () => {
              clearTimeout(timer);
              resolve(undefined);
            },
            (error: unknown) => {
              clearTimeout(timer);
              resolve(error ?? new Error('forceFlush failed'));
            },
          );
        }),
    );
    return Promise.all(outcomes).then((results) => {
      const errors = results.filter((result) => result !== undefined);
      if (errors.length > 0) throw errors;
    });
  }

  /** Shuts every processor down; spans started afterwards still reach them, which drop them. */
  async shutdown(): Promise<void> {
    await Promise.all(this.#processors.map((processor) => processor.shutdown()));
  }

  #spanScope(instrumentationScope: InstrumentationScope): SpanScope {
    const limits = this.#limits;
    const processors = this.#processors;
    return {
      resource: this.#resource,
      instrumentationScope,
      limits,
      eventAttributeLimits: {
        attributeCountLimit: limits.attributePerEventCountLimit,
        attributeValueLengthLimit: limits.attributeValueLengthLimit,
      },
      linkAttributeLimits: {
        attributeCountLimit: limits.attributePerLinkCountLimit,
        attributeValueLengthLimit: limits.attributeValueLengthLimit,
      },
      // The batch processor's onStart is empty: skipping it saves a call per span.
      onStart: processors.filter((processor) => processor.onStart !== EMPTY_ON_START),
      onEnding: processors.filter((processor) => typeof processor.onEnding === 'function'),
      onEnd: processors,
    };
  }
}
