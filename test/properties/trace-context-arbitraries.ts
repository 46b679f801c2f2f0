// fast-check arbitraries for W3C trace context values (valid, near-valid and garbage) and an
// oracle written from the W3C Trace Context spec, shared by the HTTP and NATS property tests.
import fc from 'fast-check';

const HEX = '0123456789abcdef';
const hex = (length: number) => fc.string({ unit: fc.constantFrom(...HEX), minLength: length, maxLength: length });
const nonZero = (length: number) => hex(length).filter((value) => /[1-9a-f]/.test(value));

/** Characters an HTTP or NATS header value may carry: visible ASCII, space and tab. */
export const headerChar = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constant('\t') },
);

/** A header-safe string. */
export const headerText = (maxLength = 80) => fc.string({ unit: headerChar, maxLength });

/** A well-formed traceparent (any version but ff; future versions may carry a `-suffix`). */
export const validTraceparent = fc
  .tuple(
    hex(2).filter((v) => v !== 'ff'),
    nonZero(32),
    nonZero(16),
    hex(2),
    fc.option(
      headerText(20).map((s) => `-${s.trim()}`),
      { nil: undefined },
    ),
  )
  .map(([version, traceId, spanId, flags, suffix]) =>
    version === '00' || suffix === undefined
      ? `${version}-${traceId}-${spanId}-${flags}`
      : `${version}-${traceId}-${spanId}-${flags}${suffix}`,
  );

/** A valid sampled version-00 traceparent. */
export const sampledTraceparent = fc
  .tuple(nonZero(32), nonZero(16))
  .map(([traceId, spanId]) => `00-${traceId}-${spanId}-01`);

/** One small edit of a valid traceparent: most make it invalid, some keep it valid. */
const mutated = fc
  .tuple(validTraceparent, fc.nat(), fc.constantFrom('upper', 'delete', 'insert', 'separator', 'zero', 'ff', 'cut'))
  .map(([value, at, how]) => {
    const i = at % value.length;
    switch (how) {
      case 'upper':
        return value.toUpperCase();
      case 'delete':
        return value.slice(0, i) + value.slice(i + 1);
      case 'insert':
        return `${value.slice(0, i)}a${value.slice(i)}`;
      case 'separator':
        return value.replaceAll('-', '_');
      case 'zero':
        return `${value.slice(0, 3)}${'0'.repeat(32)}${value.slice(35)}`;
      case 'ff':
        return `ff${value.slice(2)}`;
      default:
        return value.slice(0, i);
    }
  });

/** Any traceparent-ish header value: valid, mutated, or garbage. */
export const anyTraceparent = fc.oneof(
  { weight: 2, arbitrary: validTraceparent },
  { weight: 3, arbitrary: mutated },
  { weight: 2, arbitrary: headerText(80) },
);

/** A tracestate that follows the W3C grammar (1–32 members, distinct keys). */
export const validTracestate = fc
  .uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_\-*/]{0,10}$/), { minLength: 1, maxLength: 8 })
  .chain((keys) =>
    fc
      .tuple(...keys.map(() => fc.stringMatching(/^[!-+\--<>-~]{1,12}$/)))
      .map((values) => keys.map((key, i) => `${key}=${values[i]}`).join(',')),
  );

/** Any tracestate-ish value: valid, oversized, or garbage. */
export const anyTracestate = fc.oneof(
  validTracestate,
  headerText(100),
  fc.integer({ min: 33, max: 60 }).map((n) => Array.from({ length: n }, (_, i) => `k${i}=v${i}`).join(',')),
  fc.integer({ min: 513, max: 900 }).map((n) => `a=${'x'.repeat(n)}`),
);

/** The ids of a traceparent as the W3C spec reads it, or undefined when it is not valid. */
export function parseW3c(raw: string): { traceId: string; spanId: string; sampled: boolean } | undefined {
  const value = raw.trim();
  if (value.length < 55) return undefined;
  const [version, traceId, spanId, flags] = [
    value.slice(0, 2),
    value.slice(3, 35),
    value.slice(36, 52),
    value.slice(53, 55),
  ];
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return undefined;
  const isHex = (s: string) => /^[0-9a-f]*$/.test(s);
  if (![version, traceId, spanId, flags].every(isHex) || version === 'ff') return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  if (version === '00' && value.length !== 55) return undefined;
  if (value.length > 55 && value[55] !== '-') return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

/** Installs an `unhandledRejection` listener; `check()` throws if any rejection went unhandled. */
export function watchUnhandledRejections(): { check(): void; dispose(): void } {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => void seen.push(reason);
  process.on('unhandledRejection', listener);
  return {
    check() {
      if (seen.length > 0) throw new Error(`unhandled rejection: ${String(seen[0])}`);
    },
    dispose: () => void process.off('unhandledRejection', listener),
  };
}
