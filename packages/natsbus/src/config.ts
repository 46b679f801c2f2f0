import { readList, readNumber, readString, shown, warnOnce } from '@service-runtime/observability';
import { ConfigError } from './errors.ts';
import type { BusOptions, ContentMode } from './types.ts';

/** `createBus` settings after the environment has been applied. */
export interface ResolvedBusConfig {
  servers: string[] | undefined;
  source: string;
  name: string | undefined;
  externalSubjects: string[];
  contentMode: ContentMode;
  /** Bound of `close()`'s drain: `NATSBUS_DRAIN_TIMEOUT_MS`, else 10000. */
  drainTimeoutMs: number;
}

/**
 * Resolves `createBus` options with the environment: `NATS_URL` (overrides `servers`; unused with
 * `connection`), `NATSBUS_SOURCE` (overrides `source`), `NATSBUS_EXTERNAL_SUBJECTS`
 * (added to `externalSubjects`), `NATSBUS_CONTENT_MODE` (`structured` or `binary`),
 * `NATSBUS_DRAIN_TIMEOUT_MS` (bound of `close()`'s drain).
 */
export function resolveBusConfig(options: BusOptions, env: NodeJS.ProcessEnv = process.env): ResolvedBusConfig {
  const source = readString('NATSBUS_SOURCE', env) ?? options.source;
  if (typeof source !== 'string' || source.trim() === '') {
    throw new ConfigError('createBus needs a non-empty `source` (the CloudEvents source of this service)');
  }
  const envServers = readList('NATS_URL', env);
  // Deployment config wins: NATS_URL overrides the `servers` written in code.
  const servers = envServers ?? (options.servers === undefined ? undefined : [options.servers].flat());
  if (options.connection === undefined && (servers === undefined || servers.length === 0)) {
    throw new ConfigError('createBus needs `servers`, `connection` or NATS_URL');
  }
  const modeText = readString('NATSBUS_CONTENT_MODE', env)?.toLowerCase();
  let contentMode: ContentMode = options.contentMode ?? 'structured';
  if (modeText === 'structured' || modeText === 'binary') contentMode = modeText;
  else if (modeText !== undefined) {
    warnOnce(`NATSBUS_CONTENT_MODE=${shown(modeText)} is not structured or binary; using ${contentMode}`);
  }
  return {
    servers,
    source,
    name: options.name ?? readString('OTEL_SERVICE_NAME', env),
    externalSubjects: [...(options.externalSubjects ?? []), ...(readList('NATSBUS_EXTERNAL_SUBJECTS', env) ?? [])],
    contentMode,
    drainTimeoutMs:
      readNumber('NATSBUS_DRAIN_TIMEOUT_MS', `${DEFAULT_DRAIN_TIMEOUT_MS} ms`, env, { min: 0, max: 2_147_483_647 }) ??
      DEFAULT_DRAIN_TIMEOUT_MS,
  };
}

const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
