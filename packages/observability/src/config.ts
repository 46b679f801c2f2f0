import type {
  LogsExporterName,
  ObservabilityOptions,
  MetricsExporterName,
  OtlpProtocol,
  TracesExporterName,
} from './types.ts';
import { safeUrl } from './redact.ts';
import type { TemporalityPreference } from './otlp-metric-exporter.ts';
import { readBoolean, readEnum, readKeyValueList, readList, readNumber, readString, shown, warnOnce } from './env.ts';

/** Every setting resolved once: environment over options over defaults. */
export interface ResolvedConfig {
  disabled: boolean;
  serviceName: string;
  resourceAttributes: Record<string, string | number | boolean>;
  tracesExporters: TracesExporterName[];
  otlp: { url: string; protocol: OtlpProtocol; headers: Record<string, string>; timeoutMs: number };
  sampler: { name: SamplerName; ratio: number };
  propagators: PropagatorName[];
  batch: { scheduledDelayMs: number; exportTimeoutMs: number; maxQueueSize: number; maxExportBatchSize: number };
  logsExporters: LogsExporterName[];
  logsOtlp: { url: string; protocol: OtlpProtocol; headers: Record<string, string>; timeoutMs: number };
  logBatch: { scheduledDelayMs: number; exportTimeoutMs: number; maxQueueSize: number; maxExportBatchSize: number };
  metricsExporter: MetricsExporterName;
  metricsOtlp: { url: string; protocol: OtlpProtocol; headers: Record<string, string>; timeoutMs: number };
  /** `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`. */
  metricsTemporality: TemporalityPreference;
  metricExportIntervalMs: number;
  shutdownTimeoutMs: number;
  handleSignals: boolean;
  diagLevel: string;
}

export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi';

const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];
const PROPAGATORS: readonly string[] = ['tracecontext', 'baggage', 'b3', 'b3multi', 'none'];
const EXPORTERS: readonly string[] = ['console', 'otlp', 'none'];
const TEMPORALITIES: readonly TemporalityPreference[] = ['cumulative', 'delta', 'lowmemory'];
const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];
// Node timers fire after 1 ms for any delay above 2^31-1 ms: a larger value is a bad value.
const MAX_TIMER_MS = 2_147_483_647;
// Beyond this a "bounded" queue no longer bounds anything a service could hold in memory.
const MAX_QUEUE = 1_000_000;
const METRICS_EXPORTERS: readonly MetricsExporterName[] = ['prometheus', 'otlp', 'console', 'none'];
const DIAG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] as const;

/** Resolves the whole configuration from options and the environment. */
export function resolveConfig(
  options: ObservabilityOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConfig {
  const envResource = readKeyValueList('OTEL_RESOURCE_ATTRIBUTES', env, { allOrNothing: true }) ?? {};
  const resourceAttributes: Record<string, string | number | boolean> = { ...options.resourceAttributes };
  if (options.serviceVersion !== undefined) resourceAttributes['service.version'] = options.serviceVersion;
  if (options.environment !== undefined) resourceAttributes['deployment.environment.name'] = options.environment;
  Object.assign(resourceAttributes, envResource);
  const serviceName =
    readString('OTEL_SERVICE_NAME', env) ??
    envResource['service.name'] ??
    options.serviceName ??
    'unknown_service:node';
  resourceAttributes['service.name'] = serviceName;

  const endpointSet =
    readString('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', env) !== undefined ||
    readString('OTEL_EXPORTER_OTLP_ENDPOINT', env) !== undefined;
  const defaultExporters = toList(options.tracesExporter) ?? [endpointSet ? 'otlp' : 'console'];

  // Logs stay JSON lines on stdout unless OTEL_LOGS_EXPORTER (or the code) asks for OTLP.
  const defaultLogs = toList(options.logsExporter) ?? ['console'];
  const logsExporters = readExporters('OTEL_LOGS_EXPORTER', env, defaultLogs) ?? defaultLogs;

  const metricsDefault = options.metricsExporter ?? 'prometheus';
  const samplerName =
    readEnum('OTEL_TRACES_SAMPLER', SAMPLERS, 'parentbased_always_on', env) ?? 'parentbased_always_on';
  const samplerRatio = readNumber('OTEL_TRACES_SAMPLER_ARG', 'ratio 1.0', env, { min: 0, max: 1 }) ?? 1;

  return {
    disabled: readBoolean('OTEL_SDK_DISABLED', env) ?? false,
    serviceName,
    resourceAttributes,
    tracesExporters: readExporters('OTEL_TRACES_EXPORTER', env, defaultExporters) ?? defaultExporters,
    otlp: resolveOtlp('TRACES', 'v1/traces', options, env),
    sampler: { name: samplerName, ratio: samplerRatio },
    propagators: readPropagators(env),
    batch: {
      scheduledDelayMs: readNumber('OTEL_BSP_SCHEDULE_DELAY', '5000', env, { min: 0, max: MAX_TIMER_MS }) ?? 5000,
      exportTimeoutMs: readNumber('OTEL_BSP_EXPORT_TIMEOUT', '30000', env, { min: 1, max: MAX_TIMER_MS }) ?? 30000,
      maxQueueSize: readNumber('OTEL_BSP_MAX_QUEUE_SIZE', '2048', env, { min: 1, max: MAX_QUEUE }) ?? 2048,
      maxExportBatchSize: readNumber('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', '512', env, { min: 1, max: MAX_QUEUE }) ?? 512,
    },
    logsExporters: logsExporters,
    logsOtlp: resolveLogsOtlp(logsExporters, options, env),
    logBatch: {
      scheduledDelayMs: readNumber('OTEL_BLRP_SCHEDULE_DELAY', '1000', env, { min: 0, max: MAX_TIMER_MS }) ?? 1000,
      exportTimeoutMs: readNumber('OTEL_BLRP_EXPORT_TIMEOUT', '30000', env, { min: 1, max: MAX_TIMER_MS }) ?? 30000,
      maxQueueSize: readNumber('OTEL_BLRP_MAX_QUEUE_SIZE', '2048', env, { min: 1, max: MAX_QUEUE }) ?? 2048,
      maxExportBatchSize: readNumber('OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', '512', env, { min: 1, max: MAX_QUEUE }) ?? 512,
    },
    metricsExporter:
      readEnum<MetricsExporterName>('OTEL_METRICS_EXPORTER', METRICS_EXPORTERS, metricsDefault, env) ?? metricsDefault,
    metricsOtlp: resolveOtlp('METRICS', 'v1/metrics', options, env),
    metricsTemporality:
      readEnum('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', TEMPORALITIES, 'cumulative', env) ?? 'cumulative',
    metricExportIntervalMs:
      readNumber('OTEL_METRIC_EXPORT_INTERVAL', '60000', env, { min: 100, max: MAX_TIMER_MS }) ?? 60000,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 5000,
    handleSignals: options.handleSignals ?? true,
    diagLevel: (readEnum('OTEL_LOG_LEVEL', DIAG_LEVELS, 'warn', env) ?? 'warn').toUpperCase(),
  };
}

function toList<T>(value: T | T[] | undefined): T[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}

/** `OTEL_TRACES_EXPORTER` or `OTEL_LOGS_EXPORTER`: a list of console, otlp, none (none wins). */
function readExporters<T extends TracesExporterName | LogsExporterName>(
  name: string,
  env: NodeJS.ProcessEnv,
  fallback: T[],
): T[] | undefined {
  const names = readList(name, env);
  if (names === undefined) return undefined;
  const chosen = names.map((n) => n.toLowerCase()).filter((n) => EXPORTERS.includes(n)) as T[];
  const result = chosen.length === 0 ? fallback : chosen.includes('none' as T) ? ['none' as T] : [...new Set(chosen)];
  if (chosen.length !== names.length) {
    warnOnce(
      `${name}=${shown(names.join(','))} names an unknown exporter (known: console, otlp, none); using ${result.join(',')}`,
    );
  }
  return result;
}

/** The logs endpoint; gRPC is not offered for logs, so it falls back to http/protobuf with a warning. */
function resolveLogsOtlp(
  exporters: LogsExporterName[],
  options: ObservabilityOptions,
  env: NodeJS.ProcessEnv,
): ResolvedConfig['otlp'] {
  const resolved = resolveOtlp('LOGS', 'v1/logs', options, env);
  if (resolved.protocol !== 'grpc') return resolved;
  if (exporters.includes('otlp'))
    warnOnce('OTLP log export speaks http/protobuf or http/json, not grpc; using http/protobuf');
  return resolveOtlp('LOGS', 'v1/logs', options, { ...env, OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf' });
}

function readPropagators(env: NodeJS.ProcessEnv): PropagatorName[] {
  const names = readList('OTEL_PROPAGATORS', env)?.map((n) => n.toLowerCase());
  if (names === undefined) return ['tracecontext', 'baggage'];
  const unknown = names.filter((n) => !PROPAGATORS.includes(n));
  if (unknown.length > 0) {
    warnOnce(
      `OTEL_PROPAGATORS names unknown propagator(s) ${shown(unknown.join(', '))} (known: ${PROPAGATORS.join(', ')}); skipping them`,
    );
  }
  if (names.includes('none')) return [];
  return [...new Set(names.filter((n) => PROPAGATORS.includes(n)))] as PropagatorName[];
}

function resolveOtlp(
  signal: 'TRACES' | 'METRICS' | 'LOGS',
  path: string,
  options: ObservabilityOptions,
  env: NodeJS.ProcessEnv,
): ResolvedConfig['otlp'] {
  const protocol =
    readEnum(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`, PROTOCOLS, 'http/protobuf', env) ??
    readEnum('OTEL_EXPORTER_OTLP_PROTOCOL', PROTOCOLS, 'http/protobuf', env) ??
    'http/protobuf';
  const builtInBase = protocol === 'grpc' ? 'http://localhost:4317' : 'http://localhost:4318';
  const appendPath = (base: string) => (protocol === 'grpc' ? base : `${base.replace(/\/+$/, '')}/${path}`);
  // A mistyped option is a warning and the built-in default, never a crash quoting the URL (and its password).
  const optionBase = options.otlpEndpoint;
  const defaultBase =
    optionBase !== undefined && isHttpUrl(optionBase, 'The otlpEndpoint option', builtInBase)
      ? optionBase
      : builtInBase;
  let url = appendPath(defaultBase);
  const signalUrl = readString(`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`, env);
  const baseUrl = readString('OTEL_EXPORTER_OTLP_ENDPOINT', env);
  if (signalUrl !== undefined && isHttpUrl(signalUrl, `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`, url)) url = signalUrl;
  else if (baseUrl !== undefined && isHttpUrl(baseUrl, 'OTEL_EXPORTER_OTLP_ENDPOINT', url)) url = appendPath(baseUrl);
  const headers = {
    ...readKeyValueList('OTEL_EXPORTER_OTLP_HEADERS', env),
    ...readKeyValueList(`OTEL_EXPORTER_OTLP_${signal}_HEADERS`, env),
  };
  const timeoutMs =
    readNumber(`OTEL_EXPORTER_OTLP_${signal}_TIMEOUT`, '10000', env, { min: 1, max: MAX_TIMER_MS }) ??
    readNumber('OTEL_EXPORTER_OTLP_TIMEOUT', '10000', env, { min: 1, max: MAX_TIMER_MS }) ??
    10000;
  return { url, protocol, headers, timeoutMs };
}

function isHttpUrl(value: string, name: string, fallback: string): boolean {
  try {
    const parsed = new URL(value);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return true;
  } catch {
    // reported below
  }
  warnOnce(`${name} is not an http(s) URL; using ${safeUrl(fallback)}`);
  return false;
}
