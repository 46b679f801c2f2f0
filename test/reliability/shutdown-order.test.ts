// One ordered, bounded shutdown whatever order a service created its parts in: a service that calls
// listen() before createBus() still drains its HTTP requests (which publish) before the bus closes,
// and JetStream handlers that hang cannot hold SIGTERM past the grace: exit 0, their messages handed
// back to the next consumer.
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBus, type Bus, type CloudEvent } from '@service-runtime/natsbus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceProcess } from '../fixtures/service-process.ts';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.ts';

const SCRIPT = 'test/fixtures/shutdown-order-service.ts';
let server: NatsServer;
const buses: Bus[] = [];

beforeAll(async () => {
  process.env['LOG_LEVEL'] ??= 'error';
  server = await startNatsServer({ jetstream: true });
});
afterAll(async () => {
  await Promise.allSettled(buses.map((b) => b.close()));
  await server?.close();
});

function get(url: string): Promise<{ status?: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code, body: '' }));
    req.end();
  });
}

async function bus(): Promise<Bus> {
  const created = await createBus({ servers: server.url, source: '/test', closeOnShutdown: false });
  buses.push(created);
  return created;
}

describe('one ordered, bounded shutdown', () => {
  it(
    'listen() before createBus(): SIGTERM drains HTTP (its requests still publish) before the bus closes',
    { timeout: 60_000 },
    async () => {
      const observer = await bus();
      const received: CloudEvent[] = [];
      observer.subscribe('shutdown.done', (event) => void received.push(event));
      await observer.flush();
      await using service = await startServiceProcess({ FIXTURE_NATS_URL: server.url }, 60_000, SCRIPT);

      const answer = get(`${service.url}/publish-later`);
      await service.waitForLine((line) => line === 'inflight');
      service.child.kill('SIGTERM');
      let readiness = await get(`${service.url}/readyz`);
      for (let i = 0; i < 200 && readiness.status !== 503 && readiness.error === undefined; i++) {
        await sleep(10);
        readiness = await get(`${service.url}/readyz`);
      }
      service.release();

      const { status, body } = await answer;
      expect(status, body).toBe(200);
      const { id } = JSON.parse(body) as { id: string };
      for (let i = 0; i < 200 && received.length === 0; i++) await sleep(20);
      expect(received.map((e) => e.id)).toEqual([id]);
      expect(await service.exited, service.stderr()).toBe(0);
    },
  );

  it(
    'SIGTERM with hanging JetStream handlers exits 0 within the grace; their messages are handed back',
    { timeout: 60_000 },
    async () => {
      const publisher = await bus();
      await publisher.ensureStream({ name: 'HANG', subjects: ['hang.>'], storage: 'memory' });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push((await publisher.publish('hang.job', { type: 'job' }, { jetstream: true })).id);
      await using service = await startServiceProcess(
        { FIXTURE_NATS_URL: server.url, FIXTURE_STREAM: 'HANG', SHUTDOWN_GRACE_MS: '3000' },
        // the fixture's own SIGKILL comes long after the grace: an exit code of 0 means it stopped by itself
        45_000,
        SCRIPT,
      );
      await service.waitForLine(
        (line) => service.lines.filter((l) => l.startsWith('started ')).length === 2 && line.startsWith('started '),
      );
      service.child.kill('SIGTERM');
      expect(await service.exited, service.stderr()).toBe(0);

      // the next instance gets all five now, not after the ack wait (600 s + 10 s)
      const next = await bus();
      const seen = new Set<string>();
      await next.consume({ stream: 'HANG', durable: 'hanging' }, (event) => void seen.add(event.id), {
        concurrency: 5,
      });
      for (let i = 0; i < 500 && seen.size < 5; i++) await sleep(20);
      expect([...seen].sort()).toEqual([...ids].sort());
    },
  );
});
