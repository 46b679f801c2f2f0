import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { startNatsServer } from './helpers/nats-server.ts';

describe('test helpers: nats-server launcher', () => {
  it('starts a real server on a free loopback port, restarts it on the same port, and disposes of it', async () => {
    await using server = await startNatsServer({ jetstream: true });
    expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    const nc = await connect({ servers: server.url });
    expect(nc.info?.jetstream).toBe(true);
    await nc.close();
    const port = server.port;
    await server.restart();
    expect(server.port).toBe(port);
    const again = await connect({ servers: server.url });
    await again.close();
  });

  it('gives two servers two different ports', async () => {
    await using a = await startNatsServer();
    await using b = await startNatsServer();
    expect(a.port).not.toBe(b.port);
  });
});
