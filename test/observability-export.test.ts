import { describe, expect, it } from 'vitest';
import { spawnObservedProcess } from './helpers/observed-process.ts';
import { startOtlpReceiver } from './helpers/otlp-receiver.ts';

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the fixture service under `--import .../register` with a clean OTEL_* environment. */
function runService(env: Record<string, string>, options: { signalWhenReady?: boolean } = {}): Promise<RunResult> {
  const child = spawnObservedProcess('test/fixtures/emit-trace.ts', {
    args: options.signalWhenReady ? ['--wait-for-signal'] : [],
    env: { OTEL_SERVICE_NAME: 'fixture', OTEL_BSP_SCHEDULE_DELAY: '60000', ...env },
  });
  let stdout = '';
  let stderr = '';
  let signalled = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
    if (options.signalWhenReady && !signalled && stdout.includes('ready\n')) {
      signalled = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  // Bound: a service that does not finish is killed, and the test sees a null exit code.
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('a service started with --import @service-runtime/observability/register', () => {
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`exports its trace over OTLP ${protocol} with service.name, chosen by env alone`, async () => {
      await using receiver = await startOtlpReceiver();
      const result = await runService({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      });
      expect(result.code, result.stderr).toBe(0);
      const spans = await receiver.waitForSpans(2);
      expect(receiver.contentTypes[0]).toContain(
        protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
      );
      const server = spans.find((s) => s.name === 'GET /orders/:id');
      const client = spans.find((s) => s.name === 'load order');
      expect(server).toMatchObject({ kind: 2, parentSpanId: '', attributes: { 'http.route': '/orders/:id' } });
      expect(client).toMatchObject({ kind: 3, traceId: server?.traceId, parentSpanId: server?.spanId });
      expect(server?.resource['service.name']).toBe('fixture');
    });
  }

  it('prints one JSON line per span on stdout by default, and the log line carries the trace id', async () => {
    const result = await runService({});
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const spans = lines.filter((l) => l['type'] === 'span');
    expect(spans.map((s) => s['name']).sort()).toEqual(['GET /orders/:id', 'load order']);
    const server = spans.find((s) => s['name'] === 'GET /orders/:id');
    expect(server).toMatchObject({
      kind: 'SERVER',
      status_code: 'UNSET',
      service_name: 'fixture',
      parent_span_id: null,
    });
    const log = lines.find((l) => l['msg'] === 'handling');
    expect(log).toMatchObject({ trace_id: server?.['trace_id'], span_id: server?.['span_id'] });
  });

  it('finishes promptly with exit code 0 when the collector port is closed', async () => {
    const result = await runService({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
    });
    expect(result.code, result.stderr).toBe(0);
  });

  it('flushes its spans and exits 0 on SIGTERM', async () => {
    await using receiver = await startOtlpReceiver();
    const result = await runService({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint }, { signalWhenReady: true });
    expect(result.code, result.stderr).toBe(0);
    expect((await receiver.waitForSpans(2)).map((s) => s.name).sort()).toEqual(['GET /orders/:id', 'load order']);
  });

  it('starts with bad values, warning once per variable with its name and the fallback', async () => {
    const result = await runService({ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_TRACES_SAMPLER_ARG: 'lots' });
    expect(result.code, result.stderr).toBe(0);
    const warnings = result.stdout.split('\n').filter((l) => l.includes('"config":true'));
    expect(warnings).toHaveLength(2);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/OTEL_TRACES_EXPORTER=\\"zipkin\\".*using console/),
        expect.stringMatching(/OTEL_TRACES_SAMPLER_ARG=\\"lots\\".*using ratio 1.0/),
      ]),
    );
    expect(result.stdout.split('\n').filter((l) => l.includes('"type":"span"'))).toHaveLength(2);
  });
});

describe('OTEL_LOGS_EXPORTER in a service started with --import .../register', () => {
  const stdoutLog = (stdout: string) => stdout.split('\n').find((l) => l.includes('"msg":"handling"'));

  it('otlp: sends each log line as a record carrying the trace and span ids of its span, not on stdout', async () => {
    await using receiver = await startOtlpReceiver();
    const result = await runService({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-tenant=acme',
    });
    expect(result.code, result.stderr).toBe(0);
    const [server] = await receiver.waitForSpans(1, { filter: (s) => s.name === 'GET /orders/:id' });
    const log = receiver.logs.find((l) => l.body === 'handling');
    expect(log).toMatchObject({ traceId: server!.traceId, spanId: server!.spanId, severityNumber: 9 });
    expect(log?.resource['service.name']).toBe('fixture');
    const logRequest = receiver.requests.find((r) => r.path === '/v1/logs');
    expect(logRequest?.headers['x-tenant']).toBe('acme');
    expect(logRequest?.headers['content-type']).toBe('application/x-protobuf');
    expect(stdoutLog(result.stdout)).toBeUndefined();
  });

  it('console,otlp: both, with OTEL_EXPORTER_OTLP_LOGS_ENDPOINT and http/json for logs alone', async () => {
    await using receiver = await startOtlpReceiver();
    const result = await runService({
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'console,otlp',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${receiver.endpoint}/v1/logs`,
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
    });
    expect(result.code, result.stderr).toBe(0);
    const line = JSON.parse(stdoutLog(result.stdout) ?? '{}') as Record<string, string>;
    const record = receiver.logs.find((l) => l.body === 'handling');
    expect(record).toMatchObject({ traceId: line['trace_id'], spanId: line['span_id'] });
    expect(receiver.contentTypes).toEqual(['application/json']);
  });

  it('OTEL_SDK_DISABLED=true: no OTLP, the lines stay on stdout (the logger still works)', async () => {
    await using receiver = await startOtlpReceiver();
    const result = await runService({
      OTEL_SDK_DISABLED: 'true',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(stdoutLog(result.stdout)).toBeDefined();
    expect(receiver.requestCount()).toBe(0);
  });

  it('none: no log lines anywhere', async () => {
    const result = await runService({ OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
  });

  it('a hanging collector never holds the service: it exits 0 once the export timeout cuts the request', async () => {
    await using receiver = await startOtlpReceiver();
    receiver.setMode({ kind: 'hang' });
    const result = await runService({
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${receiver.endpoint}/v1/logs`,
      OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '500',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(receiver.requestCount()).toBe(1);
  });
});
