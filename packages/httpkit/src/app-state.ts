import type { Logger } from '@service-runtime/observability';
import type { ReadinessCheck } from './types.ts';

/** What httpkit keeps per Express app: readiness checks and whether it is draining. */
export interface AppState {
  draining: boolean;
  readonly checks: Map<string, ReadinessCheck>;
  readinessTimeoutMs: number;
  /** Logger for failed readiness checks; default httpkit's child of the observability logger. */
  logger: Logger | undefined;
  /** Whether `listen` already mounted the 404 and error handlers. */
  finalized: boolean;
}

const states = new WeakMap<object, AppState>();

/** The state of `app`, created on first use so `listen` also works on apps not made by `createApp`. */
export function appState(app: object): AppState {
  let state = states.get(app);
  if (state === undefined) {
    state = {
      draining: false,
      checks: new Map(),
      readinessTimeoutMs: 2000,
      logger: undefined,
      finalized: false,
    };
    states.set(app, state);
  }
  return state;
}

/**
 * Registers a readiness check under `name` (a later one with the same name replaces it). `/readyz`
 * answers 200 only when every check passes within the readiness timeout, and 503 while draining.
 */
export function addReadinessCheck(app: object, name: string, check: ReadinessCheck): void {
  appState(app).checks.set(name, check);
}
