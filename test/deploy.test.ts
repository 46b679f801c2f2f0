// deploy/ cannot run here (no Docker engine), so its files are checked against each other and against
// the code: every YAML parses, every endpoint names a compose service and a port that service listens
// on, and every environment variable in docker-compose.yml and docs/configuration.md is one the
// packages or the demo actually read (and every variable they read is documented).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

const root = new URL('..', import.meta.url).pathname;
const deployDir = join(root, 'deploy');

type Yaml = Record<string, unknown>;

/** Demo services built from deploy/Dockerfile, with the file each one runs. */
const DEMO_SERVICES = ['identity', 'billing', 'gateway', 'worker'];
/** The rest of the stack the issue asks for. */
const STACK_SERVICES = ['nats', 'otel-collector', 'jaeger', 'tempo', 'loki', 'promtail', 'prometheus', 'grafana'];

/**
 * Ports the images we do not configure listen on by default (documented by each project); the
 * services configured here (Collector, Tempo, the demo) get theirs from their own config below.
 */
const IMAGE_PORTS: Record<string, number[]> = {
  nats: [4222, 8222],
  jaeger: [4317, 4318, 16686],
  loki: [3100],
  promtail: [9080],
  prometheus: [9090],
  grafana: [3000],
};

/**
 * Standard OpenTelemetry variables our sources do not read but the upstream OTLP exporters do (so
 * configuration.md lists them). Spelled out, not matched by prefix, so a typo in an OTEL_ name is caught.
 */
const UPSTREAM_OTEL_NAMES = new Set([
  'OTEL_EXPORTER_OTLP_COMPRESSION',
  'OTEL_EXPORTER_OTLP_CERTIFICATE',
  'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE',
  'OTEL_EXPORTER_OTLP_CLIENT_KEY',
  'OTEL_EXPORTER_OTLP_INSECURE',
]);

function loadYaml(path: string): Yaml {
  const doc = parseDocument(readFileSync(path, 'utf8'), { merge: true, prettyErrors: true });
  expect(doc.errors.map(String), relative(root, path)).toEqual([]);
  expect(doc.warnings.map(String), relative(root, path)).toEqual([]);
  const value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  expect(value, relative(root, path)).toBeTypeOf('object');
  return value as Yaml;
}

function listFiles(dir: string, accept: (name: string) => boolean): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules') found.push(...listFiles(path, accept));
    } else if (accept(name)) found.push(path);
  }
  return found;
}

function obj(value: unknown, what: string): Yaml {
  expect(value, what).toBeTypeOf('object');
  expect(value, what).not.toBeNull();
  return value as Yaml;
}

function portOf(endpoint: string): number {
  const match = /:(\d+)$/.exec(endpoint);
  expect(match, `port in ${endpoint}`).not.toBeNull();
  return Number(match?.[1]);
}

/** `host` and `port` of `scheme://host:port/...` or `host:port`. */
function hostPort(value: string): { host: string; port: number } {
  const withScheme = /^[a-z]+:\/\//.test(value) ? value : `tcp://${value}`;
  const url = new URL(withScheme);
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return { host: url.hostname, port };
}

// ---------------------------------------------------------------- what the code reads

const ENV_CALL =
  /\b(?:read(?:String|Number|Boolean|List|Enum|KeyValueList|Exporters|Limit)|requireEnv|count|millis)(?:<[\w\s|,]+>)?\(\s*(['"`])([A-Z][A-Z0-9_]*(?:\$\{\w+\}[A-Z0-9_]*)*)\1/g;
const ENV_INDEX = /process\.env(?:\[\s*(['"`])([A-Z][A-Z0-9_]*)\1\s*\]|\.([A-Z][A-Z0-9_]*))/g;
/** Values of the template placeholders in variable names (observability's per-signal OTLP settings). */
const PLACEHOLDERS: Record<string, string[]> = { signal: ['TRACES', 'METRICS', 'LOGS'] };

function expand(name: string): string[] {
  const match = /\$\{(\w+)\}/.exec(name);
  if (match === null) return [name];
  const values = PLACEHOLDERS[match[1] ?? ''];
  expect(values, `values for \${${match[1]}} in ${name} (add them to PLACEHOLDERS)`).toBeDefined();
  return (values ?? []).flatMap((value) => expand(name.replace(match[0], value)));
}

/** Every environment variable name read in the packages' sources, the demo and the helpers it uses. */
function namesReadBySources(): Map<string, string[]> {
  const dirs = [
    ...readdirSync(join(root, 'packages')).map((pkg) => join(root, 'packages', pkg, 'src')),
    join(root, 'examples', 'mesh-demo', 'src'),
    join(root, 'test', 'helpers'),
  ].filter((dir) => existsSync(dir));
  const names = new Map<string, string[]>();
  for (const file of dirs.flatMap((dir) => listFiles(dir, (name) => name.endsWith('.ts')))) {
    const text = readFileSync(file, 'utf8');
    const found = [
      ...[...text.matchAll(ENV_CALL)].flatMap((m) => expand(m[2] ?? '')),
      ...[...text.matchAll(ENV_INDEX)].map((m) => m[2] ?? m[3] ?? ''),
    ];
    for (const name of found) names.set(name, [...(names.get(name) ?? []), relative(root, file)]);
  }
  return names;
}

const sourceNames = namesReadBySources();
const isKnownName = (name: string) => sourceNames.has(name) || UPSTREAM_OTEL_NAMES.has(name);

// ---------------------------------------------------------------- the deploy files

const compose = loadYaml(join(deployDir, 'docker-compose.yml'));
const services = obj(compose['services'], 'compose services');
const collector = loadYaml(join(deployDir, 'otel-collector.yaml'));
const tempo = loadYaml(join(deployDir, 'tempo.yaml'));

function environmentOf(name: string): Record<string, string> {
  const env = obj(services[name], name)['environment'] ?? {};
  expect(Array.isArray(env), `${name}.environment is a map`).toBe(false);
  return Object.fromEntries(Object.entries(env as Yaml).map(([key, value]) => [key, String(value)]));
}

/** OTLP receiver ports (grpc, http) of a `receivers.otlp.protocols` block. */
function otlpPorts(receivers: unknown, where: string): { grpc: number; http: number } {
  const protocols = obj(obj(obj(receivers, where)['otlp'], `${where}.otlp`)['protocols'], `${where}.otlp.protocols`);
  return {
    grpc: portOf(String(obj(protocols['grpc'], `${where} grpc`)['endpoint'])),
    http: portOf(String(obj(protocols['http'], `${where} http`)['endpoint'])),
  };
}

const collectorOtlp = otlpPorts(collector['receivers'], 'otel-collector receivers');
const tempoOtlp = otlpPorts(obj(tempo['distributor'], 'tempo distributor')['receivers'], 'tempo distributor');

/** The ports each compose service listens on inside the network. */
function listenPorts(name: string): number[] {
  if (DEMO_SERVICES.includes(name)) {
    const port = environmentOf(name)['PORT'];
    return port === undefined ? [] : [Number(port)];
  }
  if (name === 'otel-collector') {
    const telemetry = JSON.stringify(obj(collector['service'], 'service')['telemetry'] ?? {});
    const extensions = JSON.stringify(collector['extensions'] ?? {});
    const extra = [...`${telemetry}${extensions}`.matchAll(/"(?:port|endpoint)":"?(?:[^"]*:)?(\d+)"?/g)];
    return [collectorOtlp.grpc, collectorOtlp.http, ...extra.map((m) => Number(m[1]))];
  }
  if (name === 'tempo') {
    return [Number(obj(tempo['server'], 'tempo server')['http_listen_port']), tempoOtlp.grpc, tempoOtlp.http];
  }
  return IMAGE_PORTS[name] ?? [];
}

function expectServiceEndpoint(value: string, where: string): void {
  const { host, port } = hostPort(value);
  expect(Object.keys(services), `${where}: ${value} names a compose service`).toContain(host);
  expect(listenPorts(host), `${where}: ${host} listens on ${port}`).toContain(port);
}

/** Every string in a parsed YAML tree, with its path. */
function* strings(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* strings(item, `${path}[${i}]`);
  else if (typeof value === 'object' && value !== null)
    for (const [key, item] of Object.entries(value)) yield* strings(item, `${path}.${key}`);
}

describe('deploy/: files parse', () => {
  it('every deploy/*.yaml|yml and the Grafana provisioning files are valid YAML objects', () => {
    const files = listFiles(deployDir, (name) => /\.ya?ml$/.test(name));
    expect(files.map((f) => relative(deployDir, f))).toEqual(
      expect.arrayContaining([
        'docker-compose.yml',
        'otel-collector.yaml',
        'tempo.yaml',
        'prometheus.yml',
        'promtail.yaml',
        'grafana/provisioning/datasources/datasources.yaml',
      ]),
    );
    for (const file of files) loadYaml(file);
  });
});

describe('deploy/docker-compose.yml', () => {
  it('has the demo services and the whole stack', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining([...DEMO_SERVICES, ...STACK_SERVICES]));
  });

  it('runs NATS with JetStream', () => {
    const command = obj(services['nats'], 'nats')['command'];
    expect(command).toContain('-js');
  });

  it.each(DEMO_SERVICES)('%s is built from deploy/Dockerfile and runs its demo service file under register', (name) => {
    const service = obj(services[name], name);
    const build = obj(service['build'], `${name}.build`);
    const dockerfile = join(deployDir, String(build['context']), String(build['dockerfile']));
    expect(existsSync(dockerfile), dockerfile).toBe(true);
    const command = (service['command'] as string[]).join(' ');
    expect(command).toBe(`examples/mesh-demo/src/services/${name}.ts`);
    expect(existsSync(join(root, command)), command).toBe(true);
    const dockerText = readFileSync(dockerfile, 'utf8');
    expect(dockerText).toMatch(/^FROM node:24-slim$/m);
    expect(dockerText).toMatch(/npm ci/);
    expect(dockerText).toContain(
      'ENTRYPOINT ["node", "--conditions=source", "--import", "@service-runtime/observability/register"]',
    );
  });

  it.each(DEMO_SERVICES)('%s sends OTLP to the port the Collector receives OTLP/HTTP on', (name) => {
    const env = environmentOf(name);
    expect(env['OTEL_SERVICE_NAME']).toBe(name);
    expect(env['OTEL_EXPORTER_OTLP_PROTOCOL'] ?? 'http/protobuf').toMatch(/^http\//);
    const endpoint = env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? '';
    expect(hostPort(endpoint)).toEqual({ host: 'otel-collector', port: collectorOtlp.http });
  });

  it('demo service URLs (NATS, identity, billing) name compose services and their ports', () => {
    for (const name of DEMO_SERVICES) {
      for (const [key, value] of Object.entries(environmentOf(name))) {
        if (/_URL$/.test(key) || key === 'OTEL_EXPORTER_OTLP_ENDPOINT') expectServiceEndpoint(value, `${name}.${key}`);
      }
    }
    expect(environmentOf('gateway')['IDENTITY_INTROSPECTION_URL']).toMatch(/\/token\/introspection$/);
  });

  it('demo services use only environment variables the code reads', () => {
    for (const name of DEMO_SERVICES) {
      const unknown = Object.keys(environmentOf(name)).filter((key) => !isKnownName(key));
      expect(unknown, `${name}: variables no package or demo file reads`).toEqual([]);
    }
  });

  it('secrets are dev-only placeholders overridable from the environment', () => {
    for (const name of DEMO_SERVICES) {
      for (const [key, value] of Object.entries(environmentOf(name))) {
        if (/SECRET|PASSWORD|_TOKEN$/.test(key)) {
          expect(value, `${name}.${key}`).toMatch(new RegExp(`^\\$\\{${key}:-dev-only-[\\w-]+\\}$`));
        }
      }
    }
  });

  it('published ports and healthchecks of the HTTP demo services match their PORT', () => {
    for (const name of ['identity', 'billing', 'gateway']) {
      const port = environmentOf(name)['PORT'];
      const ports = (obj(services[name], name)['ports'] as string[]).map(String);
      expect(ports, name).toContain(`${port}:${port}`);
      expect(JSON.stringify(obj(services[name], name)['healthcheck']), name).toContain('/readyz');
    }
  });

  it('mounts every config file it names, and those files exist', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of ((service as Yaml)['volumes'] as string[] | undefined) ?? []) {
        const source = String(volume).split(':')[0] ?? '';
        if (source.startsWith('./')) expect(existsSync(join(deployDir, source)), `${name}: ${source}`).toBe(true);
      }
    }
  });
});

describe('deploy/otel-collector.yaml', () => {
  const service = obj(collector['service'], 'service');
  const pipelines = obj(service['pipelines'], 'pipelines');

  it('receives OTLP over gRPC and HTTP on all interfaces', () => {
    const protocols = obj(obj(obj(collector['receivers'], 'receivers')['otlp'], 'otlp')['protocols'], 'protocols');
    for (const protocol of ['grpc', 'http']) {
      expect(String(obj(protocols[protocol], protocol)['endpoint'])).toMatch(/^0\.0\.0\.0:\d+$/);
    }
  });

  it('every pipeline references receivers, processors and exporters that are defined', () => {
    expect(Object.keys(pipelines)).toContain('traces');
    for (const [name, pipeline] of Object.entries(pipelines)) {
      for (const kind of ['receivers', 'processors', 'exporters'] as const) {
        const defined = Object.keys(obj(collector[kind] ?? {}, kind));
        for (const ref of ((pipeline as Yaml)[kind] as string[] | undefined) ?? []) {
          expect(defined, `pipeline ${name} ${kind}`).toContain(ref);
        }
      }
    }
    for (const ext of (service['extensions'] as string[] | undefined) ?? []) {
      expect(Object.keys(obj(collector['extensions'], 'extensions'))).toContain(ext);
    }
  });

  it('traces go through tail_sampling and batch to Jaeger and Tempo', () => {
    const traces = obj(pipelines['traces'], 'traces');
    expect(traces['processors']).toEqual(expect.arrayContaining(['tail_sampling', 'batch']));
    const policies = obj(obj(collector['processors'], 'processors')['tail_sampling'], 'tail_sampling')[
      'policies'
    ] as Yaml[];
    expect(policies.map((p) => p['type'])).toEqual(expect.arrayContaining(['status_code', 'latency', 'probabilistic']));
    const exporters = obj(collector['exporters'], 'exporters');
    const hosts = (traces['exporters'] as string[]).map((ref) =>
      hostPort(String(obj(exporters[ref], ref)['endpoint'])),
    );
    expect(hosts).toEqual(
      expect.arrayContaining([
        { host: 'jaeger', port: 4317 },
        { host: 'tempo', port: tempoOtlp.grpc },
      ]),
    );
  });

  it('every exporter endpoint names a compose service and a port it listens on', () => {
    for (const [name, exporter] of Object.entries(obj(collector['exporters'], 'exporters'))) {
      const endpoint = (exporter as Yaml)['endpoint'];
      if (endpoint !== undefined) expectServiceEndpoint(String(endpoint), `exporter ${name}`);
    }
  });
});

describe('deploy/grafana provisioning', () => {
  const provisioning = loadYaml(join(deployDir, 'grafana/provisioning/datasources/datasources.yaml'));
  const datasources = provisioning['datasources'] as Yaml[];
  const byType = new Map(datasources.map((ds) => [String(ds['type']), ds]));
  const uids = new Set(datasources.map((ds) => String(ds['uid'])));

  it('provisions Tempo, Loki, Prometheus and Jaeger at compose services and ports', () => {
    expect([...byType.keys()]).toEqual(expect.arrayContaining(['tempo', 'loki', 'prometheus', 'jaeger']));
    for (const ds of datasources) expectServiceEndpoint(String(ds['url']), `datasource ${ds['name']}`);
  });

  it('links Tempo to Loki by trace id and Loki log lines to Tempo', () => {
    const tempoJson = obj(byType.get('tempo')?.['jsonData'], 'tempo jsonData');
    const toLogs = obj(tempoJson['tracesToLogsV2'], 'tracesToLogsV2');
    expect(toLogs['filterByTraceID']).toBe(true);
    expect(toLogs['datasourceUid']).toBe(byType.get('loki')?.['uid']);
    const lokiJson = obj(byType.get('loki')?.['jsonData'], 'loki jsonData');
    const derived = (lokiJson['derivedFields'] as Yaml[])[0] ?? {};
    expect(derived['datasourceUid']).toBe(byType.get('tempo')?.['uid']);
    const regex = new RegExp(String(derived['matcherRegex']));
    // the line format of observability's logger (pino JSON with the trace_id mixin)
    const line = '{"level":"info","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}';
    expect(regex.exec(line)?.[1]).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('every datasourceUid points at a provisioned datasource', () => {
    for (const [path, value] of strings(provisioning, 'datasources')) {
      if (/datasourceUid$/.test(path)) expect(uids, path).toContain(value);
    }
  });
});

describe('deploy/: every URL in every config names a compose service and a port it listens on', () => {
  const files = listFiles(deployDir, (name) => /\.ya?ml$/.test(name));
  it.each(files.map((f) => relative(deployDir, f)))('%s', (file) => {
    for (const [path, value] of strings(loadYaml(join(deployDir, file)), file)) {
      const match = /^(?:https?|nats|grpc):\/\/[^\s/]+:\d+/.exec(value);
      if (match === null) continue;
      const { host } = hostPort(match[0]);
      if (host === '127.0.0.1' || host === 'localhost') continue; // in-container probes
      expectServiceEndpoint(match[0], path);
    }
  });

  it('Prometheus scrapes services and ports that exist, the demo ones at their PORT', () => {
    const prometheus = loadYaml(join(deployDir, 'prometheus.yml'));
    const targets = (prometheus['scrape_configs'] as Yaml[]).flatMap((job) =>
      ((job['static_configs'] as Yaml[]) ?? []).flatMap((sc) => sc['targets'] as string[]),
    );
    for (const target of targets) expectServiceEndpoint(target, `scrape target ${target}`);
    for (const name of ['identity', 'billing', 'gateway']) {
      expect(targets).toContain(`${name}:${environmentOf(name)['PORT']}`);
    }
  });
});

describe('deploy/prometheus-rules.yml', () => {
  /** Every dotted metric or attribute name the packages write, as Prometheus spells it (dots → `_`). */
  const emitted = new Set(
    readdirSync(join(root, 'packages'))
      .map((pkg) => join(root, 'packages', pkg, 'src'))
      .filter((dir) => existsSync(dir))
      .flatMap((dir) => listFiles(dir, (name) => name.endsWith('.ts')))
      .flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/['`]([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)['`]/g)])
      .map((m) => (m[1] ?? '').replaceAll('.', '_')),
  );
  const rules = (loadYaml(join(deployDir, 'prometheus-rules.yml'))['groups'] as Yaml[]).flatMap(
    (group) => group['rules'] as Yaml[],
  );
  // Names of our own packages' series and labels; the Collector's (otelcol_*) and Prometheus' own
  // labels (job, instance) are not ours to check.
  const OURS = /\b((?:identity|natsbus|http|otel_sdk|messaging|error|url|server)_[a-z0-9_]+)\b/g;

  it('alerts only on metrics and labels the packages emit', () => {
    expect(emitted.has('identity_introspection_throttled')).toBe(true); // sanity check of the scan
    const unknown = rules.flatMap((rule) =>
      [...String(rule['expr']).matchAll(OURS)]
        .map((m) => (m[1] ?? '').replace(/_(total|count|bucket|sum)$/, ''))
        .filter((name) => !emitted.has(name))
        .map((name) => `${String(rule['alert'])}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it('docs/operations.md names every series an alert watches', () => {
    const operations = readFileSync(join(root, 'docs', 'operations.md'), 'utf8');
    const series = rules.flatMap((rule) =>
      [...String(rule['expr']).matchAll(/\b([a-z_][a-z0-9_]*)(?=\{|\[)/g)].map((m) =>
        (m[1] ?? '').replace(/_(total|count|bucket|sum)$/, ''),
      ),
    );
    expect(series).toContain('identity_introspection_throttled'); // sanity check of the scan
    expect(series.filter((name) => !operations.includes(name))).toEqual([]);
  });
});

describe('docs/configuration.md matches the code', () => {
  const text = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');
  // the first cell of every table row: `NAME` (one variable per row)
  const documented = new Set(
    [...text.matchAll(/^\|\s*`([A-Z][A-Z0-9_]{2,})`/gm)].map((m) => m[1] ?? '').filter((n) => n !== ''),
  );

  it('finds the variables the code reads (sanity check of the scan)', () => {
    for (const name of ['OTEL_SERVICE_NAME', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'HTTPKIT_TRUSTED_HOSTS']) {
      expect(sourceNames.has(name), name).toBe(true);
    }
    for (const name of ['IDENTITY_CACHE_MAX_ENTRIES', 'NATSBUS_CONTENT_MODE', 'LOG_LEVEL', 'BILLING_URL']) {
      expect(sourceNames.has(name), name).toBe(true);
    }
    expect(documented.size).toBeGreaterThan(20);
  });

  it('every variable in its tables is read by the code (or by the upstream OTLP exporters)', () => {
    expect([...documented].filter((name) => !isKnownName(name))).toEqual([]);
  });

  it('every variable the code reads is documented', () => {
    const missing = [...sourceNames.keys()].filter((name) => !documented.has(name));
    expect(
      missing.map((name) => `${name} (${sourceNames.get(name)?.join(', ')})`),
      'undocumented variables',
    ).toEqual([]);
  });
});
