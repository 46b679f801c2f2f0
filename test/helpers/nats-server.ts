import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options for {@link startNatsServer}. */
export interface NatsServerOptions {
  /** Enable JetStream with a store directory of its own. Default false. */
  jetstream?: boolean;
  /** Client port; default a free one. Restarts keep the same port. */
  port?: number;
  /** Extra command-line arguments. */
  args?: string[];
  /** Server name (`-n`). */
  name?: string;
  /** Directory for the JetStream store; default a fresh temp dir (removed on dispose). */
  storeDir?: string;
}

/** A real nats-server child process on 127.0.0.1, disposable with `await using`. */
export interface NatsServer extends AsyncDisposable {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s). The port and store stay reserved. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port with the same store. */
  restart(): Promise<void>;
  /** Stops it and removes its temp directories. */
  close(): Promise<void>;
}

/** The nats-server binary: `$NATS_SERVER_BIN`, else `nats-server` on PATH. */
export function natsServerBinary(): string {
  return process.env['NATS_SERVER_BIN'] || 'nats-server';
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Starts nats-server on a free loopback port and waits until it accepts clients. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const workDir = await mkdtemp(join(tmpdir(), 'nats-test-'));
  const storeDir = options.storeDir ?? join(workDir, 'js');
  let port = options.port ?? -1;
  let child: ChildProcess | undefined;

  const launch = async () => {
    const portsDir = await mkdtemp(join(workDir, 'ports-'));
    const args = ['-a', '127.0.0.1', '-p', String(port), '--ports_file_dir', portsDir];
    if (options.name) args.push('-n', options.name);
    if (options.jetstream) args.push('-js', '-sd', storeDir);
    args.push(...(options.args ?? []));
    const proc = spawn(natsServerBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const exited = new Promise<never>((_, reject) => {
      proc.once('error', (error) =>
        reject(new Error(`cannot start nats-server (${natsServerBinary()}): ${error.message}`)),
      );
      proc.once('exit', (code) => reject(new Error(`nats-server exited with code ${code}: ${stderr}`)));
    });
    exited.catch(() => undefined);
    child = proc;
    port = await Promise.race([readPort(portsDir), exited]);
    await Promise.race([waitForListening(port), exited]);
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(killer);
  };

  const close = async () => {
    await stop();
    await rm(workDir, { recursive: true, force: true });
  };

  await launch();
  return {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get pid() {
      return child?.pid;
    },
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function readPort(portsDir: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const files = (await readdir(portsDir)).filter((f) => f.endsWith('.ports'));
    if (files[0] !== undefined) {
      try {
        const info = JSON.parse(await readFile(join(portsDir, files[0]), 'utf8')) as { nats?: string[] };
        const url = info.nats?.[0];
        if (url) return Number(new URL(url).port);
      } catch {
        // file not fully written yet
      }
    }
    await sleep(20);
  }
  throw new Error('nats-server did not report its port within 10 s');
}

async function waitForListening(port: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('data', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(20);
  }
  throw new Error(`nats-server did not accept connections on ${port} within 10 s`);
}
