/**
 * The built-in samplers `createSampler` builds, deciding exactly as sdk-trace 3.1.0's AlwaysOn,
 * AlwaysOff, TraceIdRatioBased and ParentBased (with its default parent samplers) do, but returning
 * shared frozen results instead of a new object per span, and without a second sampler call for a
 * span with a parent. They are SDK `Sampler`s: a user's sampler may wrap them.
 */
import {
  isValidTraceId,
  SamplingDecision,
  TraceFlags,
  trace,
  type Attributes,
  type Context,
  type Link,
  type SpanKind,
} from '@opentelemetry/api';
import type { Sampler, SamplingResult } from '@opentelemetry/sdk-trace';
import { isValidSpanContext } from './span-context-validity.ts';

const SAMPLE: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
const DROP: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

/** Samples every span (`always_on`) or none (`always_off`). */
export class ConstantSampler implements Sampler {
  readonly #result: SamplingResult;
  readonly #name: string;

  constructor(sample: boolean) {
    this.#result = sample ? SAMPLE : DROP;
    this.#name = sample ? 'AlwaysOnSampler' : 'AlwaysOffSampler';
  }

  shouldSample(): SamplingResult {
    return this.#result;
  }

  toString(): string {
    return this.#name;
  }
}

/** Samples the fraction `ratio` of trace ids, decided from the trace id as the SDK decides it. */
export class TraceIdRatioSampler implements Sampler {
  readonly #ratio: number;
  readonly #upperBound: number;

  constructor(ratio: number) {
    this.#ratio = Number.isNaN(ratio) ? 0 : ratio >= 1 ? 1 : ratio <= 0 ? 0 : ratio;
    this.#upperBound = this.#ratio === 1 ? 4294967296 : Math.floor(this.#ratio * 4294967295);
  }

  shouldSample(_context: Context, traceId: string): SamplingResult {
    return isValidTraceId(traceId) && accumulate(traceId) < this.#upperBound ? SAMPLE : DROP;
  }

  toString(): string {
    return `TraceIdRatioBased{${this.#ratio}}`;
  }
}

/** A span with a valid parent follows the parent's sampled flag; a root span asks `root`. */
export class ParentOrRootSampler implements Sampler {
  readonly #root: Sampler;

  constructor(root: Sampler) {
    this.#root = root;
  }

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const parent = trace.getSpanContext(context);
    if (parent === undefined || !isValidSpanContext(parent)) {
      return this.#root.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    }
    return parent.traceFlags & TraceFlags.SAMPLED ? SAMPLE : DROP;
  }

  toString(): string {
    return (
      `ParentBased{root=${this.#root.toString()}, remoteParentSampled=AlwaysOnSampler, ` +
      'remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, ' +
      'localParentNotSampled=AlwaysOffSampler}'
    );
  }
}

/** The SDK's fold of a trace id's four 32-bit words. */
function accumulate(traceId: string): number {
  let accumulation = 0;
  for (let i = 0; i < 32; i += 8) {
    let part = 0;
    for (let j = 0; j < 8; j++) {
      const c = traceId.charCodeAt(i + j);
      part = (part << 4) | (c < 58 ? c - 48 : c < 71 ? c - 55 : c - 87);
    }
    accumulation = (accumulation ^ part) >>> 0;
  }
  return accumulation;
}
