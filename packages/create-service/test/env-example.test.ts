import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { docFiles } from '../src/templates/doc-files.ts';

const PACKAGES = ['observability', 'httpkit', 'natsbus', 'identityclient'];
/** A quoted variable name of the families a service reads (error codes live in errors.ts, not scanned). */
const NAME = /['"`]((?:OTEL|LOG|SHUTDOWN|HTTPKIT|NATS|NATSBUS|IDENTITY)_[A-Z0-9_]+)['"`]/g;

/** Every variable name the packages a scaffolded service uses spell out in their sources. */
function namesReadByPackages(): Set<string> {
  const names = new Set<string>();
  for (const pkg of PACKAGES) {
    const src = new URL(`../../${pkg}/src/`, import.meta.url);
    for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.endsWith('errors.ts')) continue;
      for (const match of readFileSync(new URL(file, src), 'utf8').matchAll(NAME)) names.add(match[1] ?? '');
    }
  }
  return names;
}

describe('.env.example of a scaffolded service', () => {
  const envExample = docFiles({ name: 'orders', dependency: () => '*' }).find((file) => file.path === '.env.example');
  const listed = new Set([...(envExample?.content ?? '').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));

  it('lists every variable the packages read, as its header says', () => {
    const read = namesReadByPackages();
    // the scan itself works: one setting of each package is among them
    for (const name of ['OTEL_SERVICE_NAME', 'HTTPKIT_TRUSTED_HOSTS', 'NATSBUS_SOURCE', 'IDENTITY_NEW_TOKEN_RATE'])
      expect(read.has(name), name).toBe(true);
    expect([...read].filter((name) => !listed.has(name))).toEqual([]);
  });
});
