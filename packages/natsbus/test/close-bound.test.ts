import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { createBus } from '../src/index.ts';
import { captureLogs, startFixture, waitFor, type Fixture } from './fixture.ts';

// The server goes away for good while the bus is open, and the connection keeps reconnecting
// (maxReconnectAttempts: -1, as the README advises): the unsubscribes and the connection's drain
// could only finish on a reconnect that never comes.

let fx: Fixture;
let logs: ReturnType<typeof captureLogs>;
beforeAll(async () => {
  fx = await startFixture({ jetstream: true });
});
afterAll(async () => fx.close());
beforeEach(() => {
  logs = captureLogs('warn');
});
afterEach(() => logs.restore());

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
    expect(logs.logged('could not flush to the server before closing')).toHaveLength(1);
    expect(calls).toEqual([]);
  });

  it('a connection it was given: close() resolves and leaves it open, with what it buffered', async () => {
    await fx.server.restart();
    const nc = await connect({ servers: fx.server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const bus = await createBus({ connection: nc, source: '/test', closeOnShutdown: false });
    bus.subscribe('given.core', () => undefined);
    await bus.flush();
    await fx.server.stop('SIGKILL');
    await waitFor(() => !bus.status().connected);
    await expect(bus.close({ timeoutMs: 300 })).resolves.toBeUndefined();
    expect(nc.isClosed()).toBe(false);
    expect(logs.logged('the connection it was given keeps what it buffered')).toHaveLength(1);
    await nc.close();
  });
});
