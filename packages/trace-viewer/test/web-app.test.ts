import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraceViewer, type TraceViewer } from '../src/trace-viewer.ts';

let viewer: TraceViewer;
beforeAll(async () => {
  viewer = await startTraceViewer({ port: 0, otlpPort: 0 });
});
afterAll(() => viewer?.close());

/** GET with an explicit Host header (fetch does not let a caller choose it). */
function get(path: string, host: string): Promise<number> {
  const { port } = new URL(viewer.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the web page server', () => {
  it('follows at most 64 live pages at once: one more gets 503', async () => {
    const { port } = new URL(viewer.url);
    const open: ReturnType<typeof request>[] = [];
    const follow = () =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/events' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
        open.push(req);
      });
    try {
      const first = await Promise.all(Array.from({ length: 64 }, follow));
      expect(first.every((status) => status === 200)).toBe(true);
      expect(await follow()).toBe(503);
    } finally {
      for (const req of open) req.destroy();
    }
  });

  it('serves the page, its modules and the API to loopback names', async () => {
    const { port } = new URL(viewer.url);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect(await get('/', host)).toBe(200);
    }
    for (const asset of ['app.js', 'dom.js', 'list-view.js', 'trace-view.js', 'span-details.js', 'style.css']) {
      expect(await get(`/assets/${asset}`, `127.0.0.1:${port}`)).toBe(200);
    }
    expect(await get('/api/traces', `localhost:${port}`)).toBe(200);
  });

  it('tells the page where the OTLP receiver is, for the empty list', async () => {
    const body = (await (await fetch(`${viewer.url}/api/traces`)).json()) as { otlpEndpoint: string };
    expect(body.otlpEndpoint).toBe(viewer.otlpEndpoint);
    expect(body.otlpEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers 403 to another Host name, so a rebound DNS name cannot read the traces', async () => {
    expect(await get('/api/traces', 'attacker.example')).toBe(403);
    expect(await get('/', 'attacker.example:8318')).toBe(403);
  });

  it('answers 404 for unknown files, traces and paths', async () => {
    const host = new URL(viewer.url).host;
    expect(await get('/assets/constructor', host)).toBe(404);
    expect(await get('/assets/../package.json', host)).toBe(404);
    expect(await get(`/api/traces/${'ab'.repeat(16)}`, host)).toBe(404);
    expect(await get('/nothing', host)).toBe(404);
  });
});
