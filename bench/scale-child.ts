// One consumer process of `npm run bench:scale`: argv url, work (`noop` | `io`). Joins the queue
// group `workers` on `scale.work`; answers 'count' over IPC with `{ count }`, 'stop' by closing.
import { setTimeout as sleep } from 'node:timers/promises';
import { initObservability } from '@service-runtime/observability';
import { createBus } from '@service-runtime/natsbus';

const [url, work] = process.argv.slice(2);
const obs = initObservability({ serviceName: 'scale-worker', handleSignals: false });
const bus = await createBus({ servers: url!, source: '/scale-worker', closeOnShutdown: false });
let count = 0;
bus.subscribe(
  'scale.work',
  work === 'io'
    ? async () => {
        await sleep(1); // a handler waiting ~1 ms on I/O (a database, another service)
        count++;
      }
    : () => {
        count++;
      },
  { queue: 'workers' },
);
await bus.flush();
process.on('message', (message: string) => {
  if (message === 'count') process.send!({ count });
  else if (message === 'stop') {
    void (async () => {
      await bus.close();
      await obs.shutdown();
      process.disconnect();
    })();
  }
});
process.send!({ ready: true });
