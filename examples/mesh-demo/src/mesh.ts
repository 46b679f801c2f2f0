import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { startNatsServer, type NatsServer } from '../../../test/helpers/nats-server.ts';
import { repoRoot, spawnObservedProcess } from '../../../test/helpers/observed-process.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../../../test/helpers/otlp-receiver.ts';

const servicesDir = new URL('./services/', import.meta.url).pathname;

/** Options of {@link startMesh}. */
export interface MeshOptions {
  /** Use this NATS server instead of starting one (env `NATS_URL`). */
  natsUrl?: string;
  /** Send spans here instead of the embedded receiver (env `OTEL_EXPORTER_OTLP_ENDPOINT`). */
  otlpEndpoint?: string;
  /** Extra environment of every service, e.g. `OTEL_LOGS_EXPORTER`. */
  env?: Record<string, string>;
  /** Folder for each service's log file. Default `.tmp/mesh-demo` in the repository. */
  logDir?: string;
  /** Progress messages. */
  onProgress?: (message: string) => void;
}

/** A running mesh: identity, billing, worker and gateway processes, NATS, and where spans go. */
export interface Mesh extends AsyncDisposable {
  readonly gatewayUrl: string;
  readonly billingUrl: string;
  readonly identityUrl: string;
  readonly natsUrl: string;
  /** The embedded OTLP receiver, when spans are not sent elsewhere. */
  readonly receiver: OtlpReceiver | undefined;
  readonly otlpEndpoint: string;
  readonly logDir: string;
  /** Mints an access token with the client_credentials grant. */
  mintToken(scope: string): Promise<string>;
  /** Stops every process (SIGTERM, then SIGKILL after 10 s), NATS and the receiver. Safe to call twice. */
  stop(): Promise<void>;
}

interface ServiceProcess {
  name: string;
  child: ChildProcess;
  ready: Promise<Record<string, string>>;
  log: WriteStream;
}

/** Starts the demo topology with real processes, each with its own OTEL_SERVICE_NAME. */
export async function startMesh(options: MeshOptions = {}): Promise<Mesh> {
  const progress = options.onProgress ?? (() => undefined);
  const logDir = options.logDir ?? join(repoRoot, '.tmp', 'mesh-demo');
  mkdirSync(logDir, { recursive: true });
  const started: ServiceProcess[] = [];
  let nats: NatsServer | undefined;
  let receiver: OtlpReceiver | undefined;

  // Whatever ends this process (a crash included), the services it started end with it.
  const killLeftovers = () => {
    for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killLeftovers);
  const stop = once(async () => {
    process.off('exit', killLeftovers);
    for (const service of [...started].reverse()) await stopProcess(service.child);
    for (const service of started) service.log.end();
    await nats?.close();
    await receiver?.close();
  });

  try {
    let natsUrl = options.natsUrl;
    if (natsUrl === undefined) {
      nats = await startNatsServer({ jetstream: true, name: 'mesh-demo' });
      natsUrl = nats.url;
      progress(`nats-server with JetStream on ${natsUrl}`);
    }
    let otlpEndpoint = options.otlpEndpoint;
    if (otlpEndpoint === undefined) {
      receiver = await startOtlpReceiver();
      otlpEndpoint = receiver.endpoint;
      progress(`embedded OTLP receiver on ${otlpEndpoint}`);
    }
    const secret = () => randomBytes(24).toString('base64url');
    const tokenClient = { id: 'demo-client', secret: secret() };
    const gatewayClient = { id: 'gateway', secret: secret() };
    const common = { ...options.env, OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint, NATS_URL: natsUrl };
    const launch = (name: string, env: Record<string, string>) => {
      const service = spawnService(name, { ...common, ...env }, logDir);
      started.push(service);
      return service.ready;
    };

    const [identity, billing] = await Promise.all([
      launch('identity', {
        DEMO_TOKEN_CLIENT_ID: tokenClient.id,
        DEMO_TOKEN_CLIENT_SECRET: tokenClient.secret,
        IDENTITY_CLIENT_ID: gatewayClient.id,
        IDENTITY_CLIENT_SECRET: gatewayClient.secret,
      }),
      launch('billing', {}),
    ]);
    progress(`identity on ${identity['url']}, billing on ${billing['url']}`);
    const billingUrl = String(billing['url']);
    const [gateway] = await Promise.all([
      launch('gateway', {
        IDENTITY_INTROSPECTION_URL: String(identity['introspectionUrl']),
        IDENTITY_CLIENT_ID: gatewayClient.id,
        IDENTITY_CLIENT_SECRET: gatewayClient.secret,
      }),
      launch('worker', { BILLING_URL: billingUrl }),
    ]);
    progress(`gateway on ${gateway['url']}, worker consuming`);

    const tokenUrl = String(identity['tokenUrl']);
    return {
      gatewayUrl: String(gateway['url']),
      billingUrl,
      identityUrl: String(identity['url']),
      natsUrl,
      receiver,
      otlpEndpoint,
      logDir,
      mintToken: (scope) => mintToken(tokenUrl, tokenClient, scope),
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function spawnService(name: string, env: Record<string, string>, logDir: string): ServiceProcess {
  const child = spawnObservedProcess(join(servicesDir, `${name}.ts`), {
    env: { OTEL_SERVICE_NAME: name, OTEL_BSP_SCHEDULE_DELAY: '200', ...env },
  });
  const log = createWriteStream(join(logDir, `${name}.log`));
  child.stderr?.pipe(log, { end: false });
  const ready = new Promise<Record<string, string>>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      buffered += chunk.toString();
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        if (!line.includes('"ready":true')) continue;
        try {
          resolve(JSON.parse(line) as Record<string, string>);
        } catch {
          // not a JSON log line
        }
      }
    });
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `${name} exited (${signal ?? `code ${code}`}) before it was ready; see ${join(logDir, `${name}.log`)}`,
        ),
      ),
    );
    const timer = setTimeout(
      () => reject(new Error(`${name} was not ready within 30 s; see ${join(logDir, `${name}.log`)}`)),
      30_000,
    );
    timer.unref();
  });
  ready.catch(() => undefined);
  return { name, child, ready, log };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

async function mintToken(tokenUrl: string, client: { id: string; secret: string }, scope: string): Promise<string> {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (!response.ok || body.access_token === undefined) {
    throw new Error(`the identity service refused the token request: ${response.status} ${body.error ?? ''}`);
  }
  return body.access_token;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let promise: Promise<void> | undefined;
  return () => {
    promise ??= fn();
    return promise;
  };
}
