import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import { CreateServiceError } from '../src/errors.ts';
import { scaffoldService } from '../src/scaffold.ts';
import { validateServiceName } from '../src/service-name.ts';

const repoRoot = new URL('../../../', import.meta.url).pathname;
const bin = (path: string) => join(repoRoot, 'node_modules', path);
// Inside the repository, so the generated service resolves the workspace packages and the
// installed toolchain from the root node_modules without an install step.
let workDir: string;

beforeAll(async () => {
  await mkdir(join(repoRoot, '.tmp'), { recursive: true });
  workDir = await mkdtemp(join(repoRoot, '.tmp', 'create-service-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('service names', () => {
  it.each(['orders', 'billing-api', 'a1', 'x-2-y'])('accepts %s', (name) => {
    expect(validateServiceName(name)).toBe(name);
  });

  it.each([
    '',
    'Orders',
    '1orders',
    'orders_api',
    'orders--api',
    'orders-',
    '../escape',
    'a'.repeat(51),
    'name with space',
  ])('rejects %j with a clear error', (name) => {
    expect(() => validateServiceName(name)).toThrow(CreateServiceError);
    expect(() => validateServiceName(name)).toThrow(/invalid service name/);
  });
});

describe('scaffoldService', () => {
  it('refuses to write into a non-empty folder and leaves it untouched', async () => {
    const dir = join(workDir, 'occupied');
    await mkdir(dir);
    await writeFile(join(dir, 'keep.txt'), 'mine');
    await expect(scaffoldService({ name: 'occupied', dir })).rejects.toMatchObject({ code: 'TARGET_NOT_EMPTY' });
    expect(await readFile(join(dir, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('reports usage errors and bad names through the CLI exit code', async () => {
    const lines: string[] = [];
    expect(await main([], (l) => lines.push(l))).toBe(64);
    expect(await main(['Bad_Name', '--dir', join(workDir, 'bad')], (l) => lines.push(l))).toBe(1);
    expect(lines).toEqual([]);
  });

  it('generates a service that uses every package, and its type check and tests pass', async () => {
    // The generated project type-checks against the packages' built declarations.
    const build = spawnSync(process.execPath, [bin('typescript/bin/tsc'), '--build'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(build.status, build.stdout + build.stderr).toBe(0);

    const dir = join(workDir, 'inventory-api');
    const lines: string[] = [];
    expect(await main(['inventory-api', '--dir', dir, '--from', repoRoot], (l) => lines.push(l))).toBe(0);
    expect(lines[0]).toBe(`created ${dir}:`);

    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies).sort()).toEqual([
      '@service-runtime/httpkit',
      '@service-runtime/identityclient',
      '@service-runtime/natsbus',
      '@service-runtime/observability',
    ]);
    expect(pkg.dependencies['@service-runtime/natsbus']).toBe('file:../../../packages/natsbus');
    const main_ = await readFile(join(dir, 'src/main.ts'), 'utf8');
    expect(main_).toContain('createBus');
    expect(main_).toContain('createIdentityClient');
    expect(await readFile(join(dir, 'src/app.ts'), 'utf8')).toContain(
      "requireAuth(identity, { scopes: ['inventory-api:write'] })",
    );
    const envExample = await readFile(join(dir, '.env.example'), 'utf8');
    for (const name of [
      'OTEL_SERVICE_NAME',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_LOGS_EXPORTER',
      'NATS_URL',
      'IDENTITY_INTROSPECTION_URL',
      'HTTPKIT_TRUSTED_HOSTS',
    ]) {
      expect(envExample).toContain(`${name}=`);
    }
    expect(await readFile(join(dir, 'README.md'), 'utf8')).toContain(
      'OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_LOGS_EXPORTER=console,otlp npm run dev',
    );
    expect(await readFile(join(dir, 'Dockerfile'), 'utf8')).toContain(
      '--import", "@service-runtime/observability/register',
    );

    const typecheck = spawnSync(process.execPath, [bin('typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(typecheck.status, typecheck.stdout + typecheck.stderr).toBe(0);

    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && !k.startsWith('OTEL_')),
    );
    const tests = spawnSync(process.execPath, [bin('vitest/vitest.mjs'), 'run', '--root', dir], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...env, LOG_LEVEL: 'silent', NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    expect(tests.status, tests.stdout + tests.stderr).toBe(0);
    expect(tests.stdout).toMatch(/Tests\s+5 passed/);
  }, 180_000);
});
