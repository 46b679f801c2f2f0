import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/observed-process.ts';

// `npm run demo` on a machine without nats-server: the demo must go through scripts/ensure-nats-server
// (the same script as `npm test`'s pretest), not fail with its own message. The demo runs with a PATH
// holding only node, bash and id: no nats-server, and no apt-get, so even as root the script cannot
// install and prints the install command, and the demo stops before starting anything.
const toolsDir = mkdtempSync(join(tmpdir(), 'demo-path-'));
for (const tool of ['bash', 'id']) {
  const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
  symlinkSync(found, join(toolsDir, tool));
}
const MINIMAL_PATH = [dirname(process.execPath), toolsDir].join(delimiter);
afterAll(() => rmSync(toolsDir, { recursive: true, force: true }));

function runDemo(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_') && !key.startsWith('NATS_')),
  );
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--disable-warning=ExperimentalWarning', 'examples/mesh-demo/src/main.ts'],
    { cwd: repoRoot, env: { ...inherited, PATH: MINIMAL_PATH, ...env }, stdio: 'pipe' },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run demo without nats-server', () => {
  it('asks scripts/ensure-nats-server, prints its install command and starts nothing', async () => {
    const { code, stdout, stderr } = await runDemo({});
    expect(code).toBe(1);
    expect(stderr).toContain('ensure-nats-server: nats-server is not installed. Install it with:');
    expect(stderr).toContain('apt-get install -y nats-server');
    expect(stdout).toContain('NATS_URL');
    expect(stdout).not.toContain('starting the mesh');
  });

  it('does not ask for nats-server when NATS_URL names a running server', async () => {
    // A port nothing listens on: the demo gets past the nats-server check and fails only at connecting.
    const { code, stdout, stderr } = await runDemo({ NATS_URL: 'nats://127.0.0.1:1' });
    expect(stderr).not.toContain('ensure-nats-server');
    expect(stdout).toContain('starting the mesh');
    expect(code).not.toBe(0);
  }, 60_000);
});
