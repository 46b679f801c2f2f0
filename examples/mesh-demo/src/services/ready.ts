import { getLogger } from '@service-runtime/observability';

/** Required environment variable, or a clear exit: the demo's services are started by the demo. */
export function requireEnv(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    getLogger().fatal(`${name} is not set`);
    process.exit(2);
  }
  return value;
}

/** The line the demo waits for: a log line with `msg: "ready"` and where to reach the service. */
export function announceReady(details: Record<string, string>): void {
  getLogger().info({ ready: true, ...details }, 'ready');
}
