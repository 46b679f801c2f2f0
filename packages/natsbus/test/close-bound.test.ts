import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, getLogger, setLogger, type Logger } from '../../observability/src/logger.ts';
import { startFixture, waitFor, type Fixture } from './fixture.ts';

// The server goes away for good while the bus is open, and the connection keeps reconnecting
// (maxReconnectAttempts: -1, as the README advises): the unsubscribes and the connection's drain
// could only finish on a reconnect that never comes.

let fx: Fixture;
let previous: Logger;
let lines: { msg: string }[];
beforeAll(async () => {
  fx = await startFixture({ jetstream: true });
});
afterAll(async () => fx.close());
beforeEach(() => {
  previous = getLogger();
  lines = [];
  vi.stubEnv('LOG_LEVEL', 'warn'); // the fixture's default (error) would hide the warning
  setLogger(
    createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } }),
  );
});
afterEach(() => setLogger(previous));

describe('close() with the server gone', () => {
  it('resolves (does not reject) and closes the connection, saying that what was buffered is lost', async () => {
    const bus = await fx.bus({ connectOptions: { maxReconnectAttempts: -1, reconnectTimeWait: 100 } });
    const calls: unknown[] = [];
    bus.subscribe('gone.core', (event) => void calls.push(event));
    await bus.ensureStream({ name: 'GONE', subjects: ['gone.js.>'], storage: 'memory' });
    await bus.consume({ stream: 'GONE', durable: 'gone' }, (event) => void calls.push(event));
    await bus.flush();
    await fx.server.stop('SIGKILL');
    await waitFor(() => !bus.status().connected);
    await expect(bus.close({ timeoutMs: 300 })).resolves.toBeUndefined();
    expect(bus.connection.isClosed()).toBe(true);
    getLogger().flush?.();
    expect(lines.filter((line) => line.msg.includes('could not flush to the server before closing'))).toHaveLength(1);
    expect(calls).toEqual([]);
  });
});
