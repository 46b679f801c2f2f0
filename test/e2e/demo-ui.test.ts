import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/observed-process.ts';

// `npm run demo -- --ui`: the mesh sends to the trace viewer, the demo prints each trace's URL and the
// viewer stays up after the demo (or, when one already runs on the default ports, the demo uses it);
// the printed URL serves the valid order's whole trace with its logs.
describe('npm run demo -- --ui', () => {
  it('prints the URL of the valid order’s trace, served by a viewer that stays up', async () => {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--disable-warning=ExperimentalWarning', 'examples/mesh-demo/src/main.ts', '--ui'],
      { cwd: repoRoot, env: inherited, stdio: 'pipe' },
    );
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('the trace viewer keeps running')) resolve();
        });
        // A viewer already running on the default ports (a developer's `npm run traces`) keeps the
        // traces instead: the demo then exits 0 and its URLs point there.
        void exited.then((code) =>
          code === 0 ? resolve() : reject(new Error(`the demo exited (${code}) first:\n${stdout}`)),
        );
      });
      const url = /valid order: (http:\/\/\S+\/traces\/([0-9a-f]{32}))/.exec(stdout);
      expect(url, stdout).not.toBeNull();
      expect(stdout).toContain('OK: the valid order made ONE trace');
      expect(stdout).not.toContain('look up these traces'); // the viewer's URLs are the way to them
      const page = await fetch(url![1]!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('/assets/app.js');
      const api = await fetch(url![1]!.replace('/traces/', '/api/traces/'));
      const trace = (await api.json()) as { spans: { service: string; logs: unknown[] }[] };
      expect(new Set(trace.spans.map((s) => s.service))).toEqual(new Set(['gateway', 'identity', 'worker', 'billing']));
      expect(trace.spans.length).toBe(8);
      expect(trace.spans.some((s) => s.logs.length > 0)).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 90_000);
});
