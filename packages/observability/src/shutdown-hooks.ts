import { readNumber } from './env.ts';

/**
 * Where a hook runs in the one shutdown sequence, whatever order the parts were created in:
 * `server` (readiness 503, HTTP stops accepting and drains its in-flight requests, which may still
 * publish), then `app` (the service's own hooks), then `messaging` (the bus stops taking work,
 * drains and closes). Telemetry is flushed after all of them.
 */
export type ShutdownPhase = 'server' | 'app' | 'messaging';

/** What a hook is told: the time it has left in the shutdown bound. */
export interface ShutdownContext {
  /** `performance.now()` at which the hooks' share of the grace runs out. */
  readonly deadline: number;
  /** Milliseconds left until {@link ShutdownContext.deadline} (never negative). */
  remainingMs(): number;
}

/** Work to finish before telemetry is flushed at shutdown (close servers, drain consumers). */
export type ShutdownHook = (context: ShutdownContext) => Promise<void> | void;

/** Options of {@link onShutdown}. */
export interface ShutdownHookOptions {
  /** Default `app`. */
  phase?: ShutdownPhase;
}

const PHASES: readonly ShutdownPhase[] = ['server', 'app', 'messaging'];
const hooks: { hook: ShutdownHook; phase: ShutdownPhase }[] = [];

/** Default of `SHUTDOWN_GRACE_MS`: below Kubernetes' 30 s `terminationGracePeriodSeconds`. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 25_000;

/**
 * Registers `hook` to run on SIGTERM/SIGINT (when signals are handled) before telemetry is flushed,
 * in its phase (servers, then the app's own hooks, then messaging; newest first within a phase).
 * Returns a function that unregisters it.
 */
export function onShutdown(hook: ShutdownHook, options: ShutdownHookOptions = {}): () => void {
  const entry = { hook, phase: options.phase ?? 'app' };
  hooks.push(entry);
  return () => {
    const index = hooks.indexOf(entry);
    if (index >= 0) hooks.splice(index, 1);
  };
}

/**
 * Runs and clears the registered hooks phase by phase, newest first within a phase, within
 * `budgetMs` in all: a hook still running when the budget is spent is left behind (reported to
 * `onError`) so the sequence goes on; a failing hook does not stop the others.
 */
export async function runShutdownHooks(onError: (error: unknown) => void, budgetMs = Infinity): Promise<void> {
  const deadline = performance.now() + budgetMs;
  const context: ShutdownContext = { deadline, remainingMs: () => Math.max(0, deadline - performance.now()) };
  const pending = hooks.splice(0).reverse();
  for (const phase of PHASES) {
    for (const { hook, phase: own } of pending) {
      if (own !== phase) continue;
      try {
        const finished = await withinBudget(
          Promise.resolve().then(() => hook(context)),
          context.remainingMs(),
        );
        if (!finished) onError(new Error(`a ${phase} shutdown hook did not finish within the shutdown grace`));
      } catch (error) {
        onError(error);
      }
    }
  }
}

/**
 * `SHUTDOWN_GRACE_MS`: the bound of the whole shutdown sequence (hooks and telemetry flush) after
 * SIGTERM/SIGINT, default {@link DEFAULT_SHUTDOWN_GRACE_MS}.
 */
export function resolveShutdownGraceMs(env: NodeJS.ProcessEnv = process.env): number {
  return (
    readNumber('SHUTDOWN_GRACE_MS', `${DEFAULT_SHUTDOWN_GRACE_MS} ms`, env, { min: 0, max: 2_147_483_647 }) ??
    DEFAULT_SHUTDOWN_GRACE_MS
  );
}

/**
 * Resolves true when `work` settles within `ms`, false when the budget runs out first (rejections pass
 * through). `unref`: the budget's timer does not keep the process alive on its own.
 */
export function withinBudget(work: Promise<unknown>, ms: number, unref = false): Promise<boolean> {
  if (ms === Infinity) return work.then(() => true);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    if (unref) timer.unref();
  });
  return Promise.race([work.then(() => true), late]).finally(() => clearTimeout(timer));
}
