import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { docFiles } from '../src/templates/doc-files.ts';

// identityclient resolves every IDENTITY_* setting in this one file (its config rule).
const identityConfig = new URL('../../identityclient/src/config.ts', import.meta.url);

describe('.env.example of a scaffolded service', () => {
  const envExample = docFiles({ name: 'orders', dependency: () => '*' }).find((file) => file.path === '.env.example');
  const listed = new Set([...(envExample?.content ?? '').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));

  it('lists every IDENTITY_* variable identityclient reads', () => {
    const read = new Set(
      [...readFileSync(identityConfig, 'utf8').matchAll(/'(IDENTITY_[A-Z0-9_]+)'/g)].map((m) => m[1]),
    );
    // the scan itself works: the flood defences' variables are among them
    for (const name of ['IDENTITY_CACHE_MAX_NEGATIVE_ENTRIES', 'IDENTITY_NEW_TOKEN_RATE', 'IDENTITY_PROPAGATE_BAGGAGE'])
      expect(read.has(name), name).toBe(true);
    expect([...read].filter((name) => !listed.has(name))).toEqual([]);
  });
});
