/**
 * The SDK's attribute rules (`@opentelemetry/core` 3.1.0 `cleanAttributes`/`maybeAddAttribute`) with
 * a fast path for the string, number and boolean values that hot paths set: same keys kept, same
 * values dropped and counted, same truncation; anything else goes the SDK's own way.
 */
import { diag, type Attributes } from '@opentelemetry/api';
import { AddAttributeDecision, cleanAttributes, isAnyValue, maybeAddAttribute } from '@opentelemetry/core';
import type { ResolvedSpanLimits } from './span-limits.ts';

const hasOwn = Object.hasOwn;

/** Sets one span attribute as the SDK's `Span.setAttribute` does; returns what happened to it. */
export function addAttribute(
  attributes: Attributes,
  key: string,
  value: unknown,
  count: number,
  limits: ResolvedSpanLimits,
): AddAttributeDecision {
  const type = typeof value;
  if (type !== 'string' && type !== 'number' && type !== 'boolean') {
    return maybeAddAttribute({ key, value, attributes, limits, currentAttributesCount: count });
  }
  if (key.length === 0) {
    diag.warn(`Invalid attribute key: ${key}`);
    return AddAttributeDecision.DROP_INVALID;
  }
  const isNew = !hasOwn(attributes, key);
  if (isNew && count >= limits.attributeCountLimit) return AddAttributeDecision.DROP_LIMIT_REACHED;
  const max = limits.attributeValueLengthLimit;
  attributes[key] =
    type === 'string' && (value as string).length > max ? (value as string).substring(0, max) : (value as string);
  return isNew ? AddAttributeDecision.ADD_NEW : AddAttributeDecision.ADD_OVERWRITE_EXISTING;
}

/**
 * Copies the valid attributes of `input` into `target` without limits (the SDK tracer's first pass,
 * whose result the sampler sees); returns how many were invalid.
 */
export function copyValidAttributes(target: Attributes, input: unknown): number {
  if (typeof input !== 'object' || input === null) return 0;
  const record = input as Record<string, unknown>;
  let dropped = 0;
  for (const key in record) {
    if (!hasOwn(record, key)) continue;
    const value = record[key];
    if (value === undefined) continue;
    if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      dropped++;
      continue;
    }
    const type = typeof value;
    if (type === 'string' || type === 'number' || type === 'boolean') {
      target[key] = value as string;
    } else if (isAnyValue(value)) {
      target[key] = copyAnyValue(value) as string;
    } else {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      dropped++;
    }
  }
  return dropped;
}

/**
 * Applies the span's count and length limits to attributes from {@link copyValidAttributes} in
 * place and returns their count, or -1 when that cannot be done in place (too many, or a nested
 * value to cut): then {@link limitedCopy} does the SDK's full second pass.
 */
export function limitInPlace(attributes: Attributes, limits: ResolvedSpanLimits): number {
  const max = limits.attributeValueLengthLimit;
  let count = 0;
  for (const key in attributes) {
    if (++count > limits.attributeCountLimit) return -1;
    if (max === Infinity) continue;
    const value = attributes[key];
    if (typeof value === 'string') {
      if (value.length > max) attributes[key] = value.substring(0, max);
    } else if (typeof value === 'object' && value !== null) {
      return -1;
    }
  }
  return count;
}

/** The SDK's second pass over start attributes (with the sampler's): a limited copy. */
export function limitedCopy(
  attributes: Attributes,
  limits: ResolvedSpanLimits,
): { attributes: Attributes; droppedAttributesCount: number } {
  const cleaned = cleanAttributes(attributes, limits);
  return { attributes: cleaned.attributes ?? {}, droppedAttributesCount: cleaned.droppedAttributesCount ?? 0 };
}

/** A copy of a valid AnyValue: arrays and maps copied all the way down, strings and byte arrays as they are. */
function copyAnyValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(copyAnyValue);
  const copy: Record<string, unknown> = {};
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (record[key] !== undefined) copy[key] = copyAnyValue(record[key]);
  }
  return copy;
}
