import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.ts';
import { resetConfigWarnings, setConfigWarningSink } from '../src/env.ts';

let warnings: string[] = [];
let restoreSink: ReturnType<typeof setConfigWarningSink>;

beforeEach(() => {
  for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];
  warnings = [];
  resetConfigWarnings();
  restoreSink = setConfigWarningSink((message) => warnings.push(message));
});
afterEach(() => {
  setConfigWarningSink(restoreSink);
});

const env = (vars: Record<string, string>): NodeJS.ProcessEnv => ({ ...vars });

describe('precedence: environment over options over defaults', () => {
  it('falls back to the built-in endpoint, with a warning that does not quote it, when the otlpEndpoint option is not a URL', () => {
    const config = resolveConfig({ otlpEndpoint: 'http://user:pw-secret@collector host:4318' }, env({}));
    expect(config.otlp.url).toBe('http://localhost:4318/v1/traces');
    expect(config.metricsOtlp.url).toBe('http://localhost:4318/v1/metrics');
    expect(warnings).toEqual(['The otlpEndpoint option is not an http(s) URL; using http://localhost:4318/']);
  });

  it('takes built-in defaults with no options and no environment', () => {
    const config = resolveConfig({}, env({}));
    expect(config.serviceName).toBe('unknown_service:node');
    expect(config.tracesExporters).toEqual(['console']);
    expect(config.sampler).toEqual({ name: 'parentbased_always_on', ratio: 1 });
    expect(config.propagators).toEqual(['tracecontext', 'baggage']);
    expect(config.metricsExporter).toBe('prometheus');
    expect(config.otlp).toEqual({
      url: 'http://localhost:4318/v1/traces',
      protocol: 'http/protobuf',
      headers: {},
      timeoutMs: 10000,
    });
    expect(config.batch).toEqual({
      scheduledDelayMs: 5000,
      exportTimeoutMs: 30000,
      maxQueueSize: 2048,
      maxExportBatchSize: 512,
    });
    expect(warnings).toEqual([]);
  });

  it('lets options override defaults', () => {
    const config = resolveConfig(
      {
        serviceName: 'orders',
        serviceVersion: '1.2.3',
        environment: 'staging',
        tracesExporter: 'none',
        metricsExporter: 'none',
      },
      env({}),
    );
    expect(config.serviceName).toBe('orders');
    expect(config.resourceAttributes).toMatchObject({
      'service.name': 'orders',
      'service.version': '1.2.3',
      'deployment.environment.name': 'staging',
    });
    expect(config.tracesExporters).toEqual(['none']);
    expect(config.metricsExporter).toBe('none');
  });

  it('lets the environment override options', () => {
    const config = resolveConfig(
      { serviceName: 'from-code', environment: 'staging', tracesExporter: 'console', otlpEndpoint: 'http://code:4318' },
      env({
        OTEL_SERVICE_NAME: 'from-env',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,team=payments',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      }),
    );
    expect(config.serviceName).toBe('from-env');
    expect(config.resourceAttributes).toMatchObject({ 'deployment.environment.name': 'prod', team: 'payments' });
    expect(config.tracesExporters).toEqual(['otlp']);
    expect(config.otlp.url).toBe('http://collector:4318/v1/traces');
  });

  it('prefers OTEL_SERVICE_NAME over service.name in OTEL_RESOURCE_ATTRIBUTES, which beats the option', () => {
    expect(
      resolveConfig({ serviceName: 'code' }, env({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr' })).serviceName,
    ).toBe('attr');
    expect(
      resolveConfig(
        { serviceName: 'code' },
        env({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr', OTEL_SERVICE_NAME: 'name' }),
      ).serviceName,
    ).toBe('name');
  });

  it('treats blank variables as unset', () => {
    const config = resolveConfig({ serviceName: 'code' }, env({ OTEL_SERVICE_NAME: '   ', OTEL_TRACES_EXPORTER: '' }));
    expect(config.serviceName).toBe('code');
    expect(config.tracesExporters).toEqual(['console']);
  });
});

describe('exporter choice', () => {
  it('defaults to otlp when an OTLP endpoint variable is set, so moving to a Collector is an env change', () => {
    expect(resolveConfig({}, env({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).tracesExporters).toEqual(['otlp']);
    expect(
      resolveConfig({}, env({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).tracesExporters,
    ).toEqual(['otlp']);
  });

  it('uses the signal endpoint as-is and appends /v1/traces to the base endpoint', () => {
    expect(resolveConfig({}, env({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:9999/custom' })).otlp.url).toBe(
      'http://c:9999/custom',
    );
    expect(resolveConfig({}, env({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c' })).otlp.url).toBe('https://c/v1/traces');
  });

  it('accepts a list and keeps none exclusive', () => {
    expect(resolveConfig({}, env({ OTEL_TRACES_EXPORTER: 'otlp, console' })).tracesExporters).toEqual([
      'otlp',
      'console',
    ]);
    expect(resolveConfig({}, env({ OTEL_TRACES_EXPORTER: 'none' })).tracesExporters).toEqual(['none']);
  });

  it('reads protocol, headers and timeout, signal-specific values first', () => {
    const config = resolveConfig(
      {},
      env({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-tenant=a',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=b',
        OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      }),
    );
    expect(config.otlp.protocol).toBe('http/json');
    expect(config.otlp.headers).toEqual({ authorization: 'Bearer abc', 'x-tenant': 'b' });
    expect(config.otlp.timeoutMs).toBe(2500);
    expect(resolveConfig({}, env({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).otlp.url).toBe('http://localhost:4317');
  });
});

describe('bad values: one clear warning naming the variable and the fallback; the service still starts', () => {
  it('falls back from an unknown exporter to console', () => {
    const config = resolveConfig({}, env({ OTEL_TRACES_EXPORTER: 'jaeger' }));
    expect(config.tracesExporters).toEqual(['console']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/OTEL_TRACES_EXPORTER.*jaeger.*using console/);
  });

  it('falls back from a bad sampler argument to ratio 1.0', () => {
    const config = resolveConfig(
      {},
      env({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }),
    );
    expect(config.sampler).toEqual({ name: 'parentbased_traceidratio', ratio: 1 });
    expect(warnings).toEqual([expect.stringMatching(/OTEL_TRACES_SAMPLER_ARG="1.5".*using ratio 1.0/)]);
  });

  it('falls back from an unknown sampler to parentbased_always_on', () => {
    expect(resolveConfig({}, env({ OTEL_TRACES_SAMPLER: 'sometimes' })).sampler.name).toBe('parentbased_always_on');
    expect(warnings[0]).toMatch(/OTEL_TRACES_SAMPLER="sometimes".*using parentbased_always_on/);
  });

  it('skips malformed header entries without echoing any value', () => {
    const config = resolveConfig(
      {},
      env({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s3cret,garbage,=nokey,%zz=1,x=%E0%A4%A' }),
    );
    expect(config.otlp.headers).toEqual({ 'api-key': 's3cret', '%zz': '1' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/OTEL_EXPORTER_OTLP_HEADERS has 3 malformed entries/);
    expect(warnings[0]).not.toContain('s3cret');
  });

  it('discards the whole OTEL_RESOURCE_ATTRIBUTES value when any entry is malformed, with one warning', () => {
    const config = resolveConfig(
      { resourceAttributes: { team: 'code' } },
      env({ OTEL_RESOURCE_ATTRIBUTES: 'team=payments,region,tier=%E0%A4%A,secret.key=hunter2' }),
    );
    expect(config.resourceAttributes['team']).toBe('code');
    expect(config.resourceAttributes['secret.key']).toBeUndefined();
    expect(warnings).toEqual([
      expect.stringMatching(/^OTEL_RESOURCE_ATTRIBUTES has 2 malformed entries .*; ignoring the whole value/),
    ]);
    expect(warnings[0]).not.toContain('hunter2');
    expect(warnings[0]).not.toContain('payments');
  });

  it('percent-decodes resource attribute keys and values', () => {
    const config = resolveConfig({}, env({ OTEL_RESOURCE_ATTRIBUTES: 'a%3Db=x%2Cy,plain=v%20w' }));
    expect(config.resourceAttributes).toMatchObject({ 'a=b': 'x,y', plain: 'v w' });
    expect(warnings).toEqual([]);
  });

  it('keeps the default endpoint when the variable is unparsable, and never prints credentials', () => {
    const config = resolveConfig({}, env({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318 with spaces' }));
    expect(config.otlp.url).toBe('http://localhost:4318/v1/traces');
    expect(warnings[0]).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT is not an http\(s\) URL; using http:\/\/localhost:4318/);
    resolveConfig({}, env({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://user:pw@host/x' }));
    expect(warnings.join('\n')).not.toContain('pw');
  });

  it('warns about unknown propagators and keeps the known ones', () => {
    expect(resolveConfig({}, env({ OTEL_PROPAGATORS: 'b3, xray ,tracecontext' })).propagators).toEqual([
      'b3',
      'tracecontext',
    ]);
    expect(warnings[0]).toMatch(/OTEL_PROPAGATORS.*xray/);
  });

  it('rejects negative and non-numeric batch settings', () => {
    const config = resolveConfig({}, env({ OTEL_BSP_MAX_QUEUE_SIZE: '-1', OTEL_BSP_SCHEDULE_DELAY: 'soon' }));
    expect(config.batch.maxQueueSize).toBe(2048);
    expect(config.batch.scheduledDelayMs).toBe(5000);
    expect(warnings).toHaveLength(2);
  });

  it('falls back to the code option, not the built-in default, when the variable is bad', () => {
    const config = resolveConfig(
      { tracesExporter: 'none', metricsExporter: 'otlp' },
      env({ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_METRICS_EXPORTER: 'statsd' }),
    );
    expect(config.tracesExporters).toEqual(['none']);
    expect(config.metricsExporter).toBe('otlp');
    expect(warnings).toEqual([
      expect.stringMatching(/OTEL_TRACES_EXPORTER="zipkin".*using none/),
      expect.stringMatching(/OTEL_METRICS_EXPORTER="statsd".*using otlp/),
    ]);
  });

  it('warns about an unknown OTEL_LOG_LEVEL and keeps warn', () => {
    expect(resolveConfig({}, env({ OTEL_LOG_LEVEL: 'loud' })).diagLevel).toBe('WARN');
    expect(resolveConfig({}, env({ OTEL_LOG_LEVEL: 'debug' })).diagLevel).toBe('DEBUG');
    expect(warnings).toEqual([expect.stringMatching(/OTEL_LOG_LEVEL="loud".*using warn/)]);
  });

  it('rejects durations a Node timer cannot hold and queues too large to bound anything', () => {
    const config = resolveConfig(
      {},
      env({
        OTEL_BSP_EXPORT_TIMEOUT: '1e10',
        OTEL_EXPORTER_OTLP_TIMEOUT: '3000000000',
        OTEL_BSP_MAX_QUEUE_SIZE: '1e9',
      }),
    );
    expect(config.batch.exportTimeoutMs).toBe(30000);
    expect(config.otlp.timeoutMs).toBe(10000);
    expect(config.batch.maxQueueSize).toBe(2048);
    expect(warnings).toHaveLength(3);
  });

  it('warns once per bad value, not on every read', () => {
    resolveConfig({}, env({ OTEL_TRACES_EXPORTER: 'jaeger' }));
    resolveConfig({}, env({ OTEL_TRACES_EXPORTER: 'jaeger' }));
    expect(warnings).toHaveLength(1);
  });
});
