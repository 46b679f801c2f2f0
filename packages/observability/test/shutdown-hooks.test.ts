import { describe, expect, it } from 'vitest';
import { onShutdown, resolveShutdownGraceMs, runShutdownHooks } from '../src/shutdown-hooks.ts';

describe('one ordered, bounded shutdown sequence', () => {
  it('runs servers, then the app, then messaging, whatever the registration order; newest first within a phase', async () => {
    const order: string[] = [];
    onShutdown(() => void order.push('bus'), { phase: 'messaging' });
    onShutdown(() => void order.push('app-1'));
    onShutdown(() => void order.push('http-1'), { phase: 'server' });
    onShutdown(() => void order.push('app-2'));
    onShutdown(() => void order.push('http-2'), { phase: 'server' });
    await runShutdownHooks(() => undefined);
    expect(order).toEqual(['http-2', 'http-1', 'app-2', 'app-1', 'bus']);
  });

  it('bounds the whole sequence: a hanging hook is left behind and reported, later phases still run', async () => {
    const order: string[] = [];
    const errors: unknown[] = [];
    let told: number | undefined;
    onShutdown(() => new Promise(() => undefined), { phase: 'server' });
    onShutdown(
      (ctx) => {
        told = ctx.remainingMs();
        order.push('bus');
      },
      { phase: 'messaging' },
    );
    onShutdown(() => {
      throw new Error('broken hook');
    });
    await runShutdownHooks((error) => errors.push(error), 100);
    expect(order).toEqual(['bus']);
    expect(told).toBeGreaterThanOrEqual(0); // what is left of the 100 ms after the hanging hook
    expect(told).toBeLessThan(100);
    expect(errors.map((e) => (e as Error).message)).toEqual([
      'a server shutdown hook did not finish within the shutdown grace',
      'broken hook',
    ]);
  });

  it('unregisters, and reads SHUTDOWN_GRACE_MS (default 25 s, below Kubernetes 30 s)', async () => {
    const order: string[] = [];
    const off = onShutdown(() => void order.push('gone'));
    off();
    await runShutdownHooks(() => undefined);
    expect(order).toEqual([]);
    expect(resolveShutdownGraceMs({})).toBe(25_000);
    expect(resolveShutdownGraceMs({ SHUTDOWN_GRACE_MS: '8000' })).toBe(8000);
    expect(resolveShutdownGraceMs({ SHUTDOWN_GRACE_MS: 'soon' })).toBe(25_000);
  });
});
