import { createLogger } from '@service-runtime/observability';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, listen } from '../src/index.ts';
import { waitFor } from './wait-for.ts';

let telemetry: TestTelemetry;
beforeAll(() => {
  telemetry = setupTestTelemetry();
});
afterAll(() => telemetry.shutdown());

describe('http.server.request.duration attribute sets', () => {
  it('keeps one series per method, route and status, with error.type only on 5xx', async () => {
    const app = createApp({ logger: createLogger({ level: 'silent' }) });
    app.all('/orders/:id', (req, res) => {
      res.status(req.params['id'] === 'bad' ? 502 : 200).json({});
    });
    await using server = await listen(app, { host: '127.0.0.1', closeOnShutdown: false });
    for (const id of ['1', '2', 'bad', '3', 'bad']) await (await fetch(`${server.url}/orders/${id}`)).text();
    await (await fetch(`${server.url}/orders/4`, { method: 'DELETE' })).text();
    await waitFor(() => telemetry.spans().length >= 6);
    const counts = (await telemetry.prometheusText())
      .split('\n')
      .filter((line) => line.startsWith('http_server_request_duration_count') && line.includes('/orders/:id'));
    const series = (method: string, status: number) =>
      counts.find((l) => l.includes(`http_request_method="${method}"`) && l.includes(`code="${status}"`));
    expect(counts).toHaveLength(3);
    expect(series('GET', 200)?.endsWith(' 3')).toBe(true);
    expect(series('GET', 200)).not.toContain('error_type');
    expect(series('GET', 502)).toContain('error_type="502"');
    expect(series('GET', 502)?.endsWith(' 2')).toBe(true);
    expect(series('DELETE', 200)?.endsWith(' 1')).toBe(true);
  });
});
