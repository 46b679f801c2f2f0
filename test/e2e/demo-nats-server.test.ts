import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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

/** A PATH like MINIMAL_PATH plus an `apt-get` whose `install` puts the real nats-server on that PATH. */
function pathWithFakeAptGet(): { path: string; aptLog: string } {
  const dir = mkdtempSync(join(tmpdir(), 'demo-apt-'));
  const real = spawnSync('bash', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  const ln = spawnSync('bash', ['-c', 'command -v ln'], { encoding: 'utf8' }).stdout.trim();
  const aptLog = join(dir, 'apt-get.log');
  writeFileSync(
    join(dir, 'apt-get'),
    `#!${join(toolsDir, 'bash')}\necho "$*" >> '${aptLog}'\n` +
      `if [ "$1" = install ]; then '${ln}' -s '${real}' '${join(dir, 'nats-server')}'; fi\n`,
  );
  chmodSync(join(dir, 'apt-get'), 0o755);
  return { path: [MINIMAL_PATH, dir].join(delimiter), aptLog };
}

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

  // The "Done when": on a machine without nats-server, `npm run demo` (root, as in CI and
  // containers) installs it through apt-get and exits 0 with the waterfall. Only root takes that path.
  it.skipIf(process.getuid?.() !== 0)(
    'as root, installs nats-server through apt-get and exits 0 with the waterfall',
    async () => {
      const { path, aptLog } = pathWithFakeAptGet();
      try {
        const { code, stdout, stderr } = await runDemo({ PATH: path });
        expect(stderr).toContain("installing Debian's nats-server package");
        expect(readFileSync(aptLog, 'utf8').split('\n')).toEqual(['update -qq', 'install -y -qq nats-server', '']);
        expect(stdout).toMatch(/billing: POST \/invoices +SERVER +\|[ █]+\|/);
        expect(stdout).toContain('OK: the valid order made ONE trace');
        expect(code, `${stdout}\n${stderr}`).toBe(0);
      } finally {
        rmSync(dirname(aptLog), { recursive: true, force: true });
      }
    },
    90_000,
  );

  it('does not ask for nats-server when NATS_URL names a running server', async () => {
    // A port nothing listens on: the demo gets past the nats-server check and fails only at connecting.
    const { code, stdout, stderr } = await runDemo({ NATS_URL: 'nats://127.0.0.1:1' });
    expect(stderr).not.toContain('ensure-nats-server');
    expect(stdout).toContain('starting the mesh');
    expect(code).not.toBe(0);
  }, 60_000);
});
