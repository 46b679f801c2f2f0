// SIGTERM under HTTP load: an httpkit service (child process under the observability register hook)
// with slow requests in flight drains: /readyz turns 503, new connections are refused, the in-flight
// requests still complete with 200, their spans reach the collector, and the process exits 0.
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startServiceProcess } from '../fixtures/service-process.ts';
import { startOtlpReceiver } from '../helpers/otlp-receiver.ts';

const IN_FLIGHT = 4;

/** One GET on a fresh connection: the status, or the connection error code. */
function getOnce(url: string): Promise<{ status?: number; error?: string; body: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message, body }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message, body: '' }));
    req.end();
  });
}

describe('SIGTERM under HTTP load', () => {
  it(
    'drains: readiness 503, new connections refused, in-flight requests answered 200, spans flushed, exit 0',
    {
      timeout: 60_000,
    },
    async () => {
      await using collector = await startOtlpReceiver();
      await using service = await startServiceProcess({
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
        // a long schedule delay: the spans can only reach the collector through the shutdown flush
        OTEL_BSP_SCHEDULE_DELAY: '60000',
        FIXTURE_DRAIN_DELAY_MS: '2000',
      });
      expect((await getOnce(`${service.url}/readyz`)).status).toBe(200);

      const events: string[] = [];
      const slow = Array.from({ length: IN_FLIGHT }, () =>
        getOnce(`${service.url}/slow`).then((result) => {
          events.push('slow answered');
          return result;
        }),
      );
      await service.waitForLine((line) => line === `inflight ${IN_FLIGHT}`);
      service.child.kill('SIGTERM');

      // during the drain delay the listener still accepts, and readiness says draining
      let readiness: { status?: number; error?: string; body: string } | undefined;
      for (let i = 0; i < 200; i++) {
        readiness = await getOnce(`${service.url}/readyz`);
        if (readiness.status === 503 || readiness.error !== undefined) break;
        await sleep(10);
      }
      expect(readiness?.status, JSON.stringify(readiness)).toBe(503);
      expect(JSON.parse(readiness?.body ?? '{}')).toMatchObject({ status: 'draining' });
      events.push('readyz 503');

      // until the listener closes requests are still served; then new connections are refused while
      // the slow requests are still running
      let refused: { status?: number; error?: string } | undefined;
      let servedLate = 0;
      for (let i = 0; i < 400; i++) {
        refused = await getOnce(`${service.url}/work/late`);
        if (refused.error !== undefined) break;
        expect(refused.status).toBe(200);
        servedLate++;
        await sleep(25);
      }
      expect(refused?.error).toBe('ECONNREFUSED');
      events.push('refused');

      service.release();
      const answers = await Promise.all(slow);
      expect(answers.map((a) => a.status)).toEqual(Array(IN_FLIGHT).fill(200));
      expect(answers.map((a) => JSON.parse(a.body))).toEqual(Array(IN_FLIGHT).fill({ ok: true, slow: true }));
      expect(events).toEqual(['readyz 503', 'refused', ...Array(IN_FLIGHT).fill('slow answered')]);

      expect(await service.exited, service.stderr()).toBe(0);
      const spans = await collector.waitForSpans(IN_FLIGHT, { filter: (s) => s.name === 'GET /slow' });
      expect(spans.every((s) => s.attributes['http.response.status_code'] === 200)).toBe(true);
      // every request served during the drain has its span flushed too
      expect(collector.spans.filter((s) => s.name === 'GET /work/:phase')).toHaveLength(servedLate);
    },
  );
});
