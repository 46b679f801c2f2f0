import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.ts';
import { resetConfigWarnings, setConfigWarningSink } from '../src/env.ts';

const VARIABLES = [
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_PROPAGATORS',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'OTEL_LOG_LEVEL',
] as const;

// Plausible and hostile values alike: numbers of every size, words, separators, encodings, blanks.
const value = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '',
    ' ',
    'true',
    'FALSE',
    'otlp',
    'console,none',
    'grpc',
    'http/json',
    'b3,xray',
    'NaN',
    '-1',
    '1e400',
  ),
  fc.double({ noNaN: false }).map(String),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map(String),
  fc.webUrl().map((u) => u.replace('://', '://user:pw@')),
  fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 4 }).map((kv) => kv.map(([k, v]) => `${k}=${v}`).join(',')),
);
const environment = fc.dictionary(fc.constantFrom(...VARIABLES), value, { maxKeys: VARIABLES.length });

let warnings: string[];
let restore: ReturnType<typeof setConfigWarningSink>;
beforeEach(() => {
  warnings = [];
  restore = setConfigWarningSink((m) => warnings.push(m));
});
afterEach(() => setConfigWarningSink(restore));

describe('resolveConfig over arbitrary environments', () => {
  it('never throws, keeps every setting in its domain, and names the variable in each warning', () => {
    fc.assert(
      fc.property(environment, (env) => {
        resetConfigWarnings();
        warnings.length = 0;
        const config = resolveConfig({}, env);
        const timers = [
          config.batch.scheduledDelayMs,
          config.batch.exportTimeoutMs,
          config.otlp.timeoutMs,
          config.metricExportIntervalMs,
        ];
        for (const ms of timers) expect(ms >= 0 && ms <= 2 ** 31 - 1).toBe(true);
        expect(config.batch.maxQueueSize).toBeGreaterThanOrEqual(1);
        expect(config.batch.maxQueueSize).toBeLessThanOrEqual(1_000_000);
        expect(config.sampler.ratio >= 0 && config.sampler.ratio <= 1).toBe(true);
        expect(config.tracesExporters.length).toBeGreaterThan(0);
        for (const e of config.tracesExporters) expect(['console', 'otlp', 'none']).toContain(e);
        expect(['prometheus', 'otlp', 'console', 'none']).toContain(config.metricsExporter);
        expect(() => new URL(config.otlp.url)).not.toThrow();
        expect(config.serviceName.length).toBeGreaterThan(0);
        for (const warning of warnings) {
          expect(VARIABLES.some((name) => warning.includes(name))).toBe(true);
          expect(warning).not.toContain('user:pw');
        }
      }),
      { numRuns: 300 },
    );
  });
});
