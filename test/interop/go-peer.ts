import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const SOURCE_DIR = new URL('./go-peer/', import.meta.url).pathname;

/**
 * Builds the Go peer (test/interop/go-peer) in GOPATH mode against Debian's Go packages, with no
 * network (GOPROXY=off, no toolchain switch; scripts/ensure-go-interop installs and checks them).
 * Returns the binary's path.
 */
export async function buildGoPeer(): Promise<string> {
  const outDir = join(tmpdir(), `natsbus-go-peer-${process.pid}`);
  await mkdir(outDir, { recursive: true });
  const binary = join(outDir, 'go-peer');
  await promisify(execFile)('go', ['build', '-o', binary, '.'], {
    cwd: SOURCE_DIR,
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOFLAGS: '',
      GOPROXY: 'off',
      GOTOOLCHAIN: 'local',
      GOPATH: process.env['GO_INTEROP_GOPATH'] || '/usr/share/gocode',
      GOCACHE: process.env['GOCACHE'] || join(tmpdir(), 'natsbus-go-build-cache'),
    },
    timeout: 300_000,
  });
  return binary;
}

/** One JSON line the peer printed. */
export type PeerLine = Record<string, unknown>;

/** A running peer command: its JSON lines as they arrive, and its exit. */
export interface PeerRun {
  readonly lines: PeerLine[];
  /** Waits for the first line `match` accepts. */
  line(match: (line: PeerLine) => boolean, timeoutMs?: number): Promise<PeerLine>;
  /** Resolves when the peer exits with 0; rejects with its stderr otherwise. */
  readonly done: Promise<void>;
  kill(): void;
}

/** Starts `go-peer <command> ...args`. */
export function runGoPeer(binary: string, command: 'publish' | 'consume', args: string[]): PeerRun {
  const child: ChildProcess = spawn(binary, [command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: PeerLine[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  createInterface({ input: child.stdout! }).on('line', (text) => lines.push(JSON.parse(text) as PeerLine));
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`go-peer ${command} exited ${code}: ${stderr}`)),
    );
  });
  done.catch(() => undefined);
  let exited = false;
  void done.finally(() => (exited = true)).catch(() => undefined);
  return {
    lines,
    done,
    async line(match, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find(match);
        if (found !== undefined) return found;
        if (exited) await done;
        if (Date.now() > deadline || exited)
          throw new Error(`go-peer ${command}: no such line; got ${JSON.stringify(lines)} ${stderr}`);
        await sleep(20);
      }
    },
    kill: () => void child.kill(),
  };
}

/** Runs `go-peer publish ...args` to its end and returns the line naming the published event. */
export async function goPublish(
  binary: string,
  args: string[],
): Promise<{ id: string; traceId: string; spanId: string; creationSpanId: string }> {
  const run = runGoPeer(binary, 'publish', args);
  await run.done;
  const line = await run.line((l) => typeof l['published'] === 'string');
  return {
    id: line['published'] as string,
    traceId: line['traceId'] as string,
    spanId: line['spanId'] as string,
    creationSpanId: line['creationSpanId'] as string,
  };
}
