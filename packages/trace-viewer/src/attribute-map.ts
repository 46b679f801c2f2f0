import type { OtlpAnyValue, OtlpAttributes } from './otlp-types.ts';

/**
 * Stores one attribute as an own property whatever its key: a plain assignment of `__proto__` would
 * replace the map's prototype and lose the attribute.
 */
export function setAttribute(into: OtlpAttributes, key: string, value: OtlpAnyValue): void {
  Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
}
