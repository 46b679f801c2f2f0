/**
 * OTLP KeyValue / AnyValue encoding of span, event, link, resource and scope attributes, with the
 * SDK serializer's rules: integers in [-2^63, 2^63) are `int_value` (negatives as 10-byte varints),
 * other numbers `double_value`, `Uint8Array` is `bytes_value`, arrays and plain objects nest, and
 * anything else (null, undefined) is an empty AnyValue.
 */
import type { OtlpWriter } from './otlp-writer.ts';

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;
const hasOwn = Object.prototype.hasOwnProperty;

/** Writes each own attribute as a KeyValue message under field tag byte `tag`. */
export function writeAttributes(w: OtlpWriter, attributes: object, tag: number): void {
  const record = attributes as Record<string, unknown>;
  for (const key in record) {
    if (!hasOwn.call(record, key)) continue;
    const item = record[key];
    w.byte(tag);
    const kv = w.begin(1);
    w.key(key);
    w.byte(0x12);
    const value = w.begin(1);
    if (typeof item === 'string') {
      w.byte(0x0a);
      w.string(item);
    } else {
      writeAnyValue(w, item);
    }
    w.end(value, 1);
    w.end(kv, 1);
  }
}

/** Writes the fields of one AnyValue message (its content, without tag or length). */
export function writeAnyValue(w: OtlpWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.byte(0x0a);
      w.string(value);
      return;
    case 'boolean':
      w.byte(0x10);
      w.byte(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        w.byte(0x18);
        w.varint(value);
      } else {
        w.byte(0x21);
        w.double(value);
      }
      return;
    case 'object':
      if (value === null) return;
      if (value instanceof Uint8Array) {
        w.byte(0x3a);
        w.bytes(value);
      } else if (Array.isArray(value)) {
        w.byte(0x2a);
        const list = w.begin(1);
        for (const item of value) {
          w.byte(0x0a);
          const start = w.begin(1);
          writeAnyValue(w, item);
          w.end(start, 1);
        }
        w.end(list, 1);
      } else {
        w.byte(0x32);
        const list = w.begin(1);
        writeAttributes(w, value, 0x0a);
        w.end(list, 1);
      }
      return;
    default:
      return;
  }
}
