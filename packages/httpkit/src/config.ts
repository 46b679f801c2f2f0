import { readBoolean, readList, readNumber, readString, shown, warnOnce } from '@service-runtime/observability';
import { ConfigError } from './errors.ts';

/** Paths that get no span, log line or metric unless configured otherwise. */
export const DEFAULT_UNTRACED_PATHS: readonly string[] = ['/healthz', '/readyz', '/metrics'];
const DEFAULT_BODY_LIMIT = 100 * 1024;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
const UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
};
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i;

/** `HTTPKIT_UNTRACED_PATHS` over `option` over the defaults (`/healthz`, `/readyz`, `/metrics`). */
export function resolveUntracedPaths(option: readonly string[] | undefined): ReadonlySet<string> {
  return new Set(readList('HTTPKIT_UNTRACED_PATHS') ?? option ?? DEFAULT_UNTRACED_PATHS);
}

/** `HTTPKIT_TRUST_INCOMING_TRACE_CONTEXT` over `option` over true. */
export function resolveTrustIncoming(option: boolean | undefined): boolean {
  return readBoolean('HTTPKIT_TRUST_INCOMING_TRACE_CONTEXT') ?? option ?? true;
}

/** `HTTPKIT_TRUSTED_HOSTS` over `option`; nothing is trusted by default. */
export function resolveTrustedHosts(option: readonly string[] | undefined): readonly string[] {
  return readList('HTTPKIT_TRUSTED_HOSTS') ?? option ?? [];
}

/** `HTTPKIT_BODY_LIMIT` over `option` over 100 KiB, in bytes. A bad option throws; a bad env value warns. */
export function resolveBodyLimit(option: number | string | undefined): number {
  const env = readString('HTTPKIT_BODY_LIMIT');
  if (env !== undefined) {
    const parsed = parseSize(env);
    if (parsed !== undefined) return parsed;
    warnOnce(`HTTPKIT_BODY_LIMIT=${shown(env)} is not a size like 100kb or 1048576; using the configured limit`);
  }
  if (option === undefined) return DEFAULT_BODY_LIMIT;
  const parsed =
    typeof option === 'number' ? (Number.isFinite(option) && option >= 0 ? option : undefined) : parseSize(option);
  if (parsed === undefined) throw new ConfigError(`bodyLimit ${JSON.stringify(option)} is not a size like 100kb`);
  return parsed;
}

/** `HTTPKIT_SHUTDOWN_TIMEOUT_MS` over `option` over 10 s. */
export function resolveShutdownTimeoutMs(option: number | undefined): number {
  const fallback = option ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  return (
    readNumber('HTTPKIT_SHUTDOWN_TIMEOUT_MS', `${fallback} ms`, process.env, {
      min: 0,
      // longer than a Node.js timer can wait: setTimeout would fire after 1 ms and cut every request
      max: 2_147_483_647,
    }) ?? fallback
  );
}

/** `'100kb'` → 102400; undefined when it is not a size. */
export function parseSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (match === null) return undefined;
  return Math.floor(Number(match[1]) * (UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1));
}
