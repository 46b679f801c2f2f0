// One consumer process of `npm run bench:scale`: argv url, work (`noop` | `io`), source (`core` |
// `jetstream`). Core: joins the queue group `workers` on `scale.work`. JetStream: consumes the
// shared durable `workers` of stream SCALE (one pull consumer, messages spread over the processes).
// JetStream consumers start on 'go'. Answers 'count' over IPC with `{ count }`, 'stop' by closing.
import { setTimeout as sleep } from 'node:timers/promises';
import { initObservability } from '@service-runtime/observability';
import { createBus } from '@service-runtime/natsbus';

const [url, work, source] = process.argv.slice(2);
const obs = initObservability({ serviceName: 'scale-worker', handleSignals: false });
const bus = await createBus({ servers: url!, source: '/scale-worker', closeOnShutdown: false });
let count = 0;
const handler =
  work === 'io'
    ? async () => {
        await sleep(1); // a handler waiting ~1 ms on I/O (a database, another service)
        count++;
      }
    : () => {
        count++;
      };
if (source !== 'jetstream') bus.subscribe('scale.work', handler, { queue: 'workers' });
await bus.flush();
process.on('message', (message: string) => {
  if (message === 'count') process.send!({ count });
  else if (message === 'go') {
    void bus
      .consume({ stream: 'SCALE', durable: 'workers' }, handler, { batchSize: 100 })
      .then(() => process.send!({ going: true }));
  } else if (message === 'stop') {
    void (async () => {
      await bus.close();
      await obs.shutdown();
      process.disconnect();
    })();
  }
});
process.send!({ ready: true });
