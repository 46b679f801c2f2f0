import { diag } from '@opentelemetry/api';

/** Where a warning about a bad setting goes; tests and the logger can replace it. */
export type WarnFn = (message: string) => void;

let warnSink: WarnFn = (message) => {
  process.emitWarning(message, { code: 'SERVICE_RUNTIME_CONFIG' });
  diag.warn(message);
};
const warned = new Set<string>();

/** Replaces where configuration warnings go (returns the previous sink). */
export function setConfigWarningSink(sink: WarnFn): WarnFn {
  const previous = warnSink;
  warnSink = sink;
  return previous;
}

/** Forgets which warnings were given, so tests can observe them again. */
export function resetConfigWarnings(): void {
  warned.clear();
}

/** Warns once per distinct message: a bad value is reported, never repeated on every read. */
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  warnSink(message);
}

const SHOWABLE = /^[A-Za-z0-9_.,/+\- ]{0,64}$/;

/**
 * A bad value as a warning may quote it: short plain words and numbers are shown, so the operator sees
 * the typo; anything else (URLs, `user:pw@`, long or odd text) is not, since it may carry a secret.
 */
export function shown(value: string): string {
  return SHOWABLE.test(value) ? `"${value}"` : `(a ${value.length}-character value, not shown)`;
}

/** A variable's trimmed value; blank counts as unset. */
export function readString(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const value = raw.trim();
  return value === '' ? undefined : value;
}

/** A finite number within [min, max]; otherwise a warning naming the fallback, and undefined. */
export function readNumber(
  name: string,
  fallbackText: string,
  env: NodeJS.ProcessEnv = process.env,
  range: { min?: number; max?: number } = {},
): number | undefined {
  const value = readString(name, env);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  const { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY } = range;
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    warnOnce(`${name}=${shown(value)} is not a number in [${min}, ${max}]; using ${fallbackText}`);
    return undefined;
  }
  return parsed;
}

/** `true`/`false` (any case); anything else warns and reads as unset. */
export function readBoolean(name: string, env: NodeJS.ProcessEnv = process.env): boolean | undefined {
  const value = readString(name, env)?.toLowerCase();
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  warnOnce(`${name}=${shown(value)} is not true or false; ignoring it`);
  return undefined;
}

/** A comma-separated list with blanks removed; undefined when unset. */
export function readList(name: string, env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const value = readString(name, env);
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** One of the allowed words (case-insensitive); anything else warns with the fallback used. */
export function readEnum<T extends string>(
  name: string,
  allowed: readonly T[],
  fallback: T,
  env: NodeJS.ProcessEnv = process.env,
): T | undefined {
  const value = readString(name, env)?.toLowerCase();
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  warnOnce(`${name}=${shown(value)} is not one of ${allowed.join(', ')}; using ${fallback}`);
  return fallback;
}

/**
 * W3C-baggage-style `key=value,key2=value2` (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS),
 * values percent-decoded. Malformed entries are skipped, or with `allOrNothing` (the spec's rules for
 * `OTEL_RESOURCE_ATTRIBUTES`: keys decoded too) the whole value is discarded; either way one warning
 * names the variable but never echoes values, since header lists carry credentials.
 */
export function readKeyValueList(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  options: { allOrNothing?: boolean } = {},
): Record<string, string> | undefined {
  const value = readString(name, env);
  if (value === undefined) return undefined;
  const result: Record<string, string> = {};
  let bad = 0;
  for (const entry of value.split(',')) {
    if (entry.trim() === '') continue;
    const eq = entry.indexOf('=');
    const rawKey = eq > 0 ? entry.slice(0, eq).trim() : undefined;
    // Resource attribute keys are percent-encoded too; header names are plain tokens.
    const key = options.allOrNothing && rawKey !== undefined ? decoded(rawKey) : rawKey;
    const item = key ? decoded(entry.slice(eq + 1).trim()) : undefined;
    if (key === undefined || key === '' || item === undefined) bad++;
    else result[key] = item;
  }
  if (bad === 0) return result;
  const entries = `${bad} malformed entr${bad === 1 ? 'y' : 'ies'} (expected key=value, comma-separated, percent-encoded)`;
  if (options.allOrNothing) {
    warnOnce(`${name} has ${entries}; ignoring the whole value, as the OpenTelemetry specification requires`);
    return undefined;
  }
  warnOnce(`${name} has ${entries}; skipping them`);
  return result;
}

function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
