import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

/** The repository root: the working directory of every process started here. */
export const repoRoot = new URL('../..', import.meta.url).pathname;

/** Options of {@link spawnObservedProcess}. */
export interface ObservedProcessOptions {
  /** Arguments after the script. */
  args?: string[];
  /** Environment on top of the caller's, whose OTEL_* variables are NOT passed on. */
  env?: Record<string, string>;
}

/**
 * Starts `script` (a TypeScript file, run from source on Node 24) the way a service runs in
 * production: `node --import @service-runtime/observability/register`, so observability is set up from
 * the environment alone before the script loads. The caller's OTEL_* variables are dropped, so each
 * process gets exactly the telemetry settings the caller names.
 */
export function spawnObservedProcess(
  script: string,
  options: ObservedProcessOptions = {},
): ChildProcessWithoutNullStreams {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
  return spawn(
    process.execPath,
    [
      '--conditions=source',
      '--disable-warning=ExperimentalWarning',
      '--import',
      '@service-runtime/observability/register',
      script,
      ...(options.args ?? []),
    ],
    { cwd: repoRoot, env: { ...inherited, ...options.env }, stdio: 'pipe' },
  );
}
