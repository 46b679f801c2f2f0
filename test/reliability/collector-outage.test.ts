// Span export to a collector that is down, hangs, or answers 500/429: a real httpkit service (a child
// process under `--import @service-runtime/observability/register`) keeps answering every request as
// it does with a healthy collector, its span queue stays within OTEL_BSP_MAX_QUEUE_SIZE, every span is
// counted as exported, failed or dropped, and export resumes once the collector is back.
import { createServer, type Server, type Socket, connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { metricValue, type ServiceProcess, startServiceProcess } from '../fixtures/service-process.ts';
import { freePort } from '../helpers/nats-server.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.ts';

const REQUESTS = 300;
const CONCURRENCY = 8;
const QUEUE = 40;
const SPAN_ENV = {
  OTEL_BSP_MAX_QUEUE_SIZE: String(QUEUE),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '20',
  OTEL_BSP_SCHEDULE_DELAY: '100',
  OTEL_EXPORTER_OTLP_TIMEOUT: '1500',
  OTEL_BSP_EXPORT_TIMEOUT: '2500',
};
const QUEUE_SIZE = 'otel_sdk_processor_span_queue_size';
const PROCESSED = 'otel_sdk_processor_span_processed_total';
const EXPORTED = 'otel_sdk_exporter_span_exported_total';

interface LoadResult {
  /** status → count */
  statuses: Record<number, number>;
  /** body → count */
  bodies: Record<string, number>;
  /** Largest queue size seen on /metrics while the load ran. */
  maxQueue: number;
  /** Queue capacity reported on /metrics. */
  capacity: number;
}

async function scrape(service: ServiceProcess): Promise<string> {
  const response = await fetch(`${service.url}/metrics`);
  return response.text();
}

/** `REQUESTS` GETs of /work/{phase}, `CONCURRENCY` at a time, while /metrics is sampled. */
async function load(service: ServiceProcess, phase: string, requests = REQUESTS): Promise<LoadResult> {
  const result: LoadResult = { statuses: {}, bodies: {}, maxQueue: 0, capacity: 0 };
  let next = 0;
  let done = false;
  const worker = async () => {
    while (next < requests) {
      next++;
      const response = await fetch(`${service.url}/work/${phase}`);
      const body = await response.text();
      result.statuses[response.status] = (result.statuses[response.status] ?? 0) + 1;
      result.bodies[body] = (result.bodies[body] ?? 0) + 1;
    }
  };
  const sampler = (async () => {
    while (!done) {
      const text = await scrape(service);
      result.maxQueue = Math.max(result.maxQueue, metricValue(text, QUEUE_SIZE));
      result.capacity = metricValue(text, 'otel_sdk_processor_span_queue_capacity');
      await sleep(20);
    }
  })();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  done = true;
  await sampler;
  return result;
}

/** Spans whose export failed, over every `error.type`. */
function failedSpans(text: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${EXPORTED}{`) && l.includes('error_type='))
    .reduce((sum, l) => sum + Number(l.split(/\s+/).at(-1)), 0);
}

/** Waits until every ended span is accounted for: processed (exported, failed or dropped) or still queued. */
async function waitForAccounting(service: ServiceProcess, ended: number): Promise<string> {
  let text = '';
  for (let i = 0; i < 300; i++) {
    text = await scrape(service);
    if (metricValue(text, PROCESSED) + metricValue(text, QUEUE_SIZE) === ended) return text;
    await sleep(50);
  }
  throw new Error(`spans not accounted for (${ended} ended):\n${text}`);
}

const isPhase = (phase: string) => (span: { attributes: Record<string, unknown> }) =>
  span.attributes['url.path'] === `/work/${phase}`;

let baseline: LoadResult | undefined;
const receivers: OtlpReceiver[] = [];
afterAll(async () => {
  await Promise.allSettled(receivers.map((r) => r.close()));
});

async function receiver(): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver();
  receivers.push(r);
  return r;
}

describe('span export to a failing collector', { timeout: 90_000 }, () => {
  it('baseline: with a healthy collector every request is answered and every span arrives', async () => {
    const collector = await receiver();
    await using service = await startServiceProcess({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, ...SPAN_ENV });
    baseline = await load(service, 'baseline');
    expect(baseline.statuses).toEqual({ 200: REQUESTS });
    await collector.waitForSpans(REQUESTS, { filter: isPhase('baseline'), timeoutMs: 30_000 });
    const text = await waitForAccounting(service, REQUESTS);
    expect(failedSpans(text)).toBe(0);
  });

  const faults: { name: string; mode: 'down' | 'hang' | 500 | 429; expectDrops: boolean }[] = [
    { name: 'is down (closed port)', mode: 'down', expectDrops: false },
    { name: 'hangs (for up to 10 s)', mode: 'hang', expectDrops: true },
    { name: 'answers 500', mode: 500, expectDrops: false },
    { name: 'answers 429', mode: 429, expectDrops: false },
  ];

  for (const fault of faults) {
    it(`collector ${fault.name}: requests answered as in the baseline, queue bounded, spans counted, export resumes`, async () => {
      const collector = await receiver();
      let endpoint = collector.endpoint;
      let port = 0;
      if (fault.mode === 'down') {
        port = await freePort();
        endpoint = `http://127.0.0.1:${port}`;
      } else if (fault.mode === 'hang') collector.setMode({ kind: 'hang' });
      else collector.setMode({ kind: 'status', status: fault.mode });
      await using service = await startServiceProcess({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...SPAN_ENV });

      // the hang ends after 10 s at the latest; the load must be over before that
      let hangEnded = false;
      const hangTimer = setTimeout(() => {
        hangEnded = true;
      }, 10_000);
      const faulty = await load(service, 'fault');
      const finishedDuringHang = !hangEnded;
      clearTimeout(hangTimer);

      // behaviour: the same answers as with a healthy collector
      expect(faulty.statuses).toEqual({ 200: REQUESTS });
      expect(Object.keys(faulty.bodies)).toEqual(
        Object.keys(baseline?.bodies ?? {}).map((b) => b.replace('baseline', 'fault')),
      );
      if (fault.mode === 'hang') expect(finishedDuringHang).toBe(true);
      // memory bounded: the queue never held more than its capacity
      expect(faulty.capacity).toBe(QUEUE);
      expect(faulty.maxQueue).toBeLessThanOrEqual(QUEUE);

      // every span is accounted for, and none reached the collector
      const text = await waitForAccounting(service, REQUESTS);
      const dropped = metricValue(text, PROCESSED, { error_type: 'queue_full' });
      const failed = failedSpans(text);
      expect(failed).toBeGreaterThan(0);
      expect(failed + dropped + metricValue(text, QUEUE_SIZE)).toBe(REQUESTS);
      if (fault.expectDrops) expect(dropped).toBeGreaterThan(0);
      expect(collector.spans.filter(isPhase('fault'))).toHaveLength(0);
      if (fault.mode === 'down') expect(text).toContain('error_type="ECONNREFUSED"');

      // recovery: the collector answers again (on the same port when it was down)
      let relay: Server | undefined;
      if (fault.mode === 'down') relay = await relayPort(port, collector.port);
      else collector.setMode({ kind: 'ok' });
      try {
        const after = await load(service, 'recovered', 20);
        expect(after.statuses).toEqual({ 200: 20 });
        await collector.waitForSpans(20, { filter: isPhase('recovered'), timeoutMs: 30_000 });
        const final = await waitForAccounting(service, REQUESTS + 20);
        expect(metricValue(final, EXPORTED) - failedSpans(final)).toBeGreaterThanOrEqual(20);
      } finally {
        await closeRelay(relay);
      }
    });
  }
});

const relaySockets = new Set<Socket>();

/** A TCP relay on `from` to `to`: the collector "comes back" on the port the service was given. */
async function relayPort(from: number, to: number): Promise<Server> {
  const server = createServer((socket) => {
    const upstream = connect(to, '127.0.0.1');
    relaySockets.add(socket).add(upstream);
    socket.pipe(upstream).pipe(socket);
    const drop = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(from, '127.0.0.1', resolve);
  });
  return server;
}

async function closeRelay(server: Server | undefined): Promise<void> {
  if (server === undefined) return;
  for (const socket of relaySockets) socket.destroy();
  relaySockets.clear();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
