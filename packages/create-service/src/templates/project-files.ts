import type { GeneratedFile, TemplateContext } from './template-context.ts';

/** package.json, tsconfig.json, vitest config, Dockerfile and ignore files. */
export function projectFiles(ctx: TemplateContext): GeneratedFile[] {
  const pkg = {
    name: ctx.name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=22.15' },
    scripts: {
      build: 'tsc -p tsconfig.json',
      typecheck: 'tsc -p tsconfig.json --noEmit',
      start: 'node --import @service-runtime/observability/register dist/src/main.js',
      dev: 'node --env-file-if-exists=.env --import @service-runtime/observability/register src/main.ts',
      test: 'vitest run',
    },
    dependencies: {
      '@service-runtime/httpkit': ctx.dependency('httpkit'),
      '@service-runtime/identityclient': ctx.dependency('identityclient'),
      '@service-runtime/natsbus': ctx.dependency('natsbus'),
      '@service-runtime/observability': ctx.dependency('observability'),
    },
    devDependencies: { '@types/express': '^5.0.0', '@types/node': '^24.0.0', typescript: '^5.9.0', vitest: '^5.1.0' },
  };
  const tsconfig = {
    compilerOptions: {
      target: 'ES2023',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noImplicitReturns: true,
      noUnusedLocals: true,
      noUnusedParameters: true,
      verbatimModuleSyntax: true,
      erasableSyntaxOnly: true,
      allowImportingTsExtensions: true,
      rewriteRelativeImportExtensions: true,
      skipLibCheck: true,
      types: ['node'],
      rootDir: '.',
      outDir: 'dist',
    },
    include: ['src', 'test'],
  };
  return [
    { path: 'package.json', content: `${JSON.stringify(pkg, null, 2)}\n` },
    { path: 'tsconfig.json', content: `${JSON.stringify(tsconfig, null, 2)}\n` },
    {
      path: 'vitest.config.ts',
      content: `import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { include: ['test/**/*.test.ts'], testTimeout: 20_000 } });
`,
    },
    { path: '.gitignore', content: 'node_modules/\ndist/\n.env\n' },
    { path: '.dockerignore', content: 'node_modules\ndist\n.env\n' },
    {
      path: 'Dockerfile',
      content: `# syntax=docker/dockerfile:1
FROM node:24-slim AS build
WORKDIR /app
COPY package*.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-slim
ENV NODE_ENV=production OTEL_SERVICE_NAME=${ctx.name}
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 8080
ENV PORT=8080
# SIGTERM: readiness turns 503, in-flight requests finish, consumers drain, spans are flushed, exit 0.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "@service-runtime/observability/register", "dist/src/main.js"]
`,
    },
  ];
}
