// SIGTERM under load for a natsbus consumer process started with
// `--import @service-runtime/observability/register`: the messages it is handling are acked, those
// pulled but not started are handed back (nak), none is lost across it and a second consumer, its spans reach the OTLP
// receiver, and it exits 0.
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { createBus, type Bus } from '@service-runtime/natsbus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.ts';
import { spawnObservedProcess } from '../helpers/observed-process.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.ts';
import { IdTally, waitUntil } from './nats-tally.ts';

const TOTAL = 3000;
const SIGTERM_AFTER = 400;
const childScript = fileURLToPath(new URL('./nats-sigterm-child.ts', import.meta.url));

let server: NatsServer;
let receiver: OtlpReceiver;
const buses: Bus[] = [];

beforeAll(async () => {
  process.env['LOG_LEVEL'] ??= 'error';
  server = await startNatsServer({ jetstream: true });
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  await Promise.allSettled(buses.map((b) => b.close()));
  await receiver?.close();
  await server?.close();
});

describe('SIGTERM under load (natsbus consumer process)', () => {
  it('acks or leaves for redelivery every message, flushes spans and exits 0', { timeout: 90_000 }, async () => {
    const publisher = await createBus({ servers: server.url, source: '/load', closeOnShutdown: false });
    buses.push(publisher);
    await publisher.ensureStream({ name: 'JOBS', subjects: ['jobs.>'] });
    const tally = new IdTally();

    const child = spawnObservedProcess(childScript, {
      args: [server.url, 'JOBS', 'jobs-worker'],
      env: {
        OTEL_SERVICE_NAME: 'sigterm-worker',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_BSP_SCHEDULE_DELAY: '60000',
        OTEL_BSP_MAX_QUEUE_SIZE: '20000',
        LOG_LEVEL: 'warn',
      },
    });
    const handledByChild: string[] = [];
    let ready = false;
    let stderr = '';
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') ready = true;
        else if (line.startsWith('handled ')) handledByChild.push(line.slice(8));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitUntil(
        () => ready,
        30_000,
        () => `child not ready: ${stderr}`,
      );

      // load: publishing goes on before, during and after the SIGTERM
      const publishing = (async () => {
        for (let i = 0; i < TOTAL; i++) {
          const { id } = await publisher.publish(`jobs.${i % 3}`, { type: 'job', data: { i } }, { jetstream: true });
          tally.published.add(id);
        }
      })();
      await waitUntil(
        () => handledByChild.length >= SIGTERM_AFTER,
        30_000,
        () => `child handled ${handledByChild.length}`,
      );
      child.kill('SIGTERM');
      const code = await exited;
      expect(code, stderr).toBe(0);
      await publishing;
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
    for (const id of handledByChild) tally.deliver(id);

    // every event the child handled left as a CONSUMER span through the OTLP exporter
    const spans = await receiver.waitForSpans(handledByChild.length, {
      filter: (s) => s.name.startsWith('process jobs.'),
      timeoutMs: 10_000,
    });
    expect(spans.length).toBe(handledByChild.length);
    expect(new Set(spans.map((s) => s.attributes['messaging.message.id']))).toEqual(new Set(handledByChild));

    // a second consumer on the same durable gets the rest: nothing lost
    const jsm = await jetstreamManager(publisher.connection);
    const afterStop = await jsm.consumers.info('JOBS', 'jobs-worker');
    const second = await createBus({ servers: server.url, source: '/second', closeOnShutdown: false });
    buses.push(second);
    const handledBySecond = new Set<string>();
    await second.consume({ stream: 'JOBS', durable: 'jobs-worker' }, (event) => {
      handledBySecond.add(event.id);
      tally.deliver(event.id);
    });
    await waitUntil(
      () => tally.seen() === TOTAL,
      45_000,
      () => `${tally.seen()} of ${TOTAL} handled; missing e.g. ${tally.missing().slice(0, 3).join(', ')}`,
    );
    expect(tally.missing()).toEqual([]);
    expect(tally.unknown()).toEqual([]);
    // the child acked what it handled: none of it comes back. What it had pulled but not started was
    // handed back (nak, redelivered at once); until redelivered it counts as ack-pending, and it is
    // never more than one pull (batchSize 100 beyond the one handler slot).
    expect(afterStop.num_ack_pending).toBeLessThanOrEqual(101);
    expect(handledByChild.filter((id) => handledBySecond.has(id))).toEqual([]);
    console.info(
      `sigterm: ${TOTAL} published, ${handledByChild.length} handled and acked by the SIGTERMed process ` +
        `(${spans.length} spans flushed), ${handledBySecond.size} by the second consumer, ${tally.redeliveries()} redeliveries`,
    );
  });
});
