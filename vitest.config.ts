import { defineConfig } from 'vitest/config';

// Tests run on the TypeScript sources (the `source` export condition), never on a stale dist/.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    restoreMocks: true,
    unstubEnvs: true,
  },
});
