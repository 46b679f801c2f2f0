// A natsbus consumer service for nats-sigterm.test.ts, run under
// `node --import @service-runtime/observability/register`: prints `ready`, then `handled <id>` after
// each event's handler; SIGTERM is left to observability (drain the bus, flush spans, exit 0).
import { setTimeout as sleep } from 'node:timers/promises';
import { createBus } from '@service-runtime/natsbus';

const [url, stream, durable] = process.argv.slice(2);
const bus = await createBus({ servers: url!, source: '/sigterm-child' });
await bus.consume(
  { stream: stream!, durable: durable! },
  async (event) => {
    await sleep(5);
    process.stdout.write(`handled ${event.id}\n`);
  },
  { timeoutMs: 2000 },
);
process.stdout.write('ready\n');
