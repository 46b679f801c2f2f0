// One subscriber process of `npm run bench:delivery`. argv: url, kind (`core` | `jetstream`),
// handler milliseconds, then for core: subject; for jetstream: stream, durable, timeoutMs, concurrency.
// Samples its RSS every 20 ms. Answers 'status' over IPC with the counts and RSS figures, 'stop' by
// closing the bus.
import { setTimeout as sleep } from 'node:timers/promises';
import { initObservability } from '@service-runtime/observability';
import { createBus } from '@service-runtime/natsbus';

const [url, kind, handlerText, a, b, timeoutText, concurrencyText] = process.argv.slice(2);
const handlerMs = Number(handlerText);
const obs = initObservability({ serviceName: 'delivery-bench', handleSignals: false });
const bus = await createBus({ servers: url!, source: '/delivery-bench', closeOnShutdown: false });
global.gc?.();
const rssBefore = process.memoryUsage().rss;
let rssPeak = rssBefore;
const sampler = setInterval(() => {
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
}, 20);
let calls = 0;
const ids = new Set<string>();
const handler = async (event: { id: string }) => {
  calls++;
  ids.add(event.id);
  await sleep(handlerMs);
};
if (kind === 'core') {
  bus.subscribe(a!, handler);
} else {
  await bus.consume({ stream: a!, durable: b! }, handler, {
    timeoutMs: Number(timeoutText),
    concurrency: Number(concurrencyText),
  });
}
await bus.flush();
process.on('message', (message: string) => {
  if (message === 'status') {
    const sub = bus.status().subscriptions[0]!;
    process.send!({
      status: true,
      calls,
      distinct: ids.size,
      handled: sub.handled,
      dropped: sub.dropped,
      pending: sub.pending,
      running: sub.running,
      rssBefore,
      rssPeak,
      rss: process.memoryUsage().rss,
    });
  } else if (message === 'stop') {
    void (async () => {
      clearInterval(sampler);
      await bus.close({ timeoutMs: 1000 });
      await obs.shutdown();
      process.disconnect();
    })();
  }
});
process.send!({ ready: true });
