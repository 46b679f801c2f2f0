import pino, { type Logger } from 'pino';

/** Writes one line whose fields were serialized by the caller: `,"key":json` pairs, in order. */
export type LogLineWriter = (level: 'info' | 'warn', fields: string, message: string) => void;

const {
  chindingsSym,
  endSym,
  formattersSym,
  lsCacheSym,
  messageKeySym,
  mixinSym,
  hooksSym: hooks,
  needsMetadataGsym: needsMetadata,
  nestedKeySym,
  serializersSym,
  streamSym,
  stringifiersSym,
  timeSym,
} = pino.symbols;

type Internals = Record<symbol, unknown> & { levels: { values: Record<string, number> }; msgPrefix?: string };

/** Loggers built by `createLogger`: their configuration, hence their line format, is known. */
const ownRoots = new WeakSet<object>();
const writers = new WeakMap<object, LogLineWriter | null>();

/** Registers a logger made by `createLogger` as one whose lines {@link logLineWriter} may write. */
export function registerOwnLogger(logger: Logger): void {
  ownRoots.add(logger);
}

/**
 * A writer that puts a pre-serialized line straight on `logger`'s stream, byte for byte what pino
 * would write for the same fields, without pino's walk over a merge object; `undefined` when the
 * logger (or a child made with its own serializers, formatters or prefix) is not one whose format
 * is known, so the caller logs the ordinary way. The caller passes `trace_id` itself (the mixin of
 * `createLogger` adds nothing then) and no `err` key (pino serializes that one).
 */
export function logLineWriter(logger: Logger): LogLineWriter | undefined {
  let writer = writers.get(logger);
  if (writer === undefined) {
    writer = buildWriter(logger as unknown as Internals) ?? null;
    writers.set(logger, writer);
  }
  return writer ?? undefined;
}

function buildWriter(logger: Internals): LogLineWriter | undefined {
  const root = rootOf(logger);
  if (root === undefined) return undefined;
  const stream = logger[streamSym] as { write(line: string): void } & Record<symbol, unknown>;
  const inherited = [serializersSym, stringifiersSym, mixinSym, hooks, nestedKeySym];
  if (inherited.some((symbol) => logger[symbol] !== root[symbol])) return undefined;
  const formatters = logger[formattersSym] as { level: unknown; log?: unknown };
  const rootFormatters = root[formattersSym] as { level: unknown };
  if (formatters.level !== rootFormatters.level || formatters.log !== undefined) return undefined;
  const { streamWrite, logMethod } = logger[hooks] as { streamWrite?: unknown; logMethod?: unknown };
  if (streamWrite !== undefined || logMethod !== undefined) return undefined;
  if (logger.msgPrefix !== undefined || (logger[nestedKeySym] ?? undefined) !== undefined) return undefined;
  if (stream[needsMetadata] === true) return undefined;
  const messageKey = JSON.stringify(logger[messageKeySym]);
  const prefixes = logger[lsCacheSym] as Record<number, string>;
  const time = logger[timeSym] as () => string;
  const end = logger[endSym] as string;
  const values = logger.levels.values;
  return (level, fields, message) => {
    stream.write(
      `${prefixes[values[level]!]}${time()}${logger[chindingsSym] as string}${fields},${messageKey}:${jsonString(message)}${end}`,
    );
  };
}

// The createLogger root a logger descends from (pino children inherit from their parent).
function rootOf(logger: object): Internals | undefined {
  for (let current: object | null = logger; current !== null; current = Object.getPrototypeOf(current)) {
    if (ownRoots.has(current)) return current as Internals;
  }
  return undefined;
}

// Characters JSON must escape, and lone surrogates (which JSON.stringify writes as escapes).
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `value` as a JSON string literal; the common case (nothing to escape) costs one regex test. */
export function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}
