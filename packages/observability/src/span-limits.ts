import type { SpanLimits } from '@opentelemetry/sdk-trace';
import { readNumber, warnOnce } from './env.ts';

/** Span limits with every field set; `Infinity` where nothing is limited. */
export interface ResolvedSpanLimits {
  readonly attributeCountLimit: number;
  readonly attributeValueLengthLimit: number;
  readonly eventCountLimit: number;
  readonly linkCountLimit: number;
  readonly attributePerEventCountLimit: number;
  readonly attributePerLinkCountLimit: number;
}

const DEFAULT_COUNT = 128;

/**
 * `limits` completed with the defaults of the SDK's TracerProvider (128 of each, no length limit).
 * A length limit of 0 or less means none, as the SDK reads it (it warns and ignores it per value).
 */
export function completeSpanLimits(limits: SpanLimits = {}): ResolvedSpanLimits {
  const length = limits.attributeValueLengthLimit ?? Infinity;
  return Object.freeze({
    attributeCountLimit: limits.attributeCountLimit ?? DEFAULT_COUNT,
    attributeValueLengthLimit: length > 0 ? length : Infinity,
    eventCountLimit: limits.eventCountLimit ?? DEFAULT_COUNT,
    linkCountLimit: limits.linkCountLimit ?? DEFAULT_COUNT,
    attributePerEventCountLimit: limits.attributePerEventCountLimit ?? DEFAULT_COUNT,
    attributePerLinkCountLimit: limits.attributePerLinkCountLimit ?? DEFAULT_COUNT,
  });
}

/**
 * Span limits from the OpenTelemetry environment variables: the span-specific ones win over the
 * general `OTEL_ATTRIBUTE_*` ones, which also bound event and link attributes when theirs are unset.
 * A bad value warns once and the default applies.
 */
export function resolveSpanLimits(env: NodeJS.ProcessEnv = process.env): ResolvedSpanLimits {
  const attributeCount = readLimit('OTEL_ATTRIBUTE_COUNT_LIMIT', 0, env);
  const attributeLength = readLimit('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', 1, env);
  return completeSpanLimits({
    attributeCountLimit: readLimit('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 0, env) ?? attributeCount,
    attributeValueLengthLimit: readLimit('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 1, env) ?? attributeLength,
    eventCountLimit: readLimit('OTEL_SPAN_EVENT_COUNT_LIMIT', 0, env),
    linkCountLimit: readLimit('OTEL_SPAN_LINK_COUNT_LIMIT', 0, env),
    attributePerEventCountLimit: readLimit('OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT', 0, env) ?? attributeCount,
    attributePerLinkCountLimit: readLimit('OTEL_LINK_ATTRIBUTE_COUNT_LIMIT', 0, env) ?? attributeCount,
  });
}

function readLimit(name: string, min: number, env: NodeJS.ProcessEnv): number | undefined {
  const fallback = 'the default';
  const value = readNumber(name, fallback, env, { min });
  if (value === undefined || Number.isInteger(value)) return value;
  warnOnce(`${name}=${value} is not a whole number; using ${fallback}`);
  return undefined;
}
