/** Work to finish before telemetry is flushed at shutdown (close servers, drain consumers). */
export type ShutdownHook = () => Promise<void> | void;

const hooks: ShutdownHook[] = [];

/**
 * Registers `hook` to run on SIGTERM/SIGINT (when signals are handled) before telemetry is flushed.
 * Hooks run last-registered first, so a server started after its bus closes before the bus drains.
 * Returns a function that unregisters it.
 */
export function onShutdown(hook: ShutdownHook): () => void {
  hooks.push(hook);
  return () => {
    const index = hooks.indexOf(hook);
    if (index >= 0) hooks.splice(index, 1);
  };
}

/** Runs and clears the registered hooks, newest first; a failing hook does not stop the others. */
export async function runShutdownHooks(onError: (error: unknown) => void): Promise<void> {
  const pending = hooks.splice(0).reverse();
  for (const hook of pending) {
    try {
      await hook();
    } catch (error) {
      onError(error);
    }
  }
}
