import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bigintAsString, traceJson } from './trace-json.ts';
import type { TraceStore } from './trace-store.ts';

/** The page's files: plain HTML, CSS and JavaScript shipped with the package, no CDN, no build step. */
const WEB_DIR = new URL('../web/', import.meta.url);
const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'list-view.js': 'text/javascript; charset=utf-8',
  'trace-view.js': 'text/javascript; charset=utf-8',
  'span-details.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};
const TRACE_PATH = /^\/traces\/([0-9a-f]{32})$/;
const API_TRACE_PATH = /^\/api\/traces\/([0-9a-f]{32})$/;
/** Live pages get the changed trace ids at most this often. */
const PUSH_INTERVAL_MS = 250;
/** Live pages held open at once; more get 503 (each costs a socket and a buffer). */
const MAX_EVENT_CLIENTS = 64;
/** What a live page may leave unread before it is let go. */
const MAX_EVENT_BACKLOG_BYTES = 1 << 20;

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value, bigintAsString));
}

/** Host names a loopback-bound page answers to: a page fetched under another name is DNS rebinding. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The web page and its JSON API: trace list, one trace, live change events (SSE). With
 * `loopbackOnly`, requests whose Host is not a loopback name get 403, so a web site cannot read the
 * traces through a rebound DNS name. `otlpEndpoint` is shown on an empty list: where to send.
 */
export function createWebHandler(
  store: TraceStore,
  { loopbackOnly = true, otlpEndpoint = () => '' }: { loopbackOnly?: boolean; otlpEndpoint?: () => string } = {},
): {
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  close: () => void;
} {
  const clients = new Set<ServerResponse>();
  let pending = new Set<string>();
  const flush = setInterval(() => {
    if (pending.size === 0) return;
    const data = `event: traces\ndata: ${JSON.stringify([...pending])}\n\n`;
    pending = new Set();
    for (const client of clients) {
      // a page that stopped reading is let go rather than buffered for without end
      if (client.writableLength > MAX_EVENT_BACKLOG_BYTES) {
        client.destroy();
        clients.delete(client);
      } else client.write(data);
    }
  }, PUSH_INTERVAL_MS);
  flush.unref();
  const unsubscribe = store.subscribe((ids) => {
    if (clients.size > 0) for (const id of ids) pending.add(id);
  });

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    serve(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (loopbackOnly && !LOOPBACK_NAMES.has(hostName(req.headers.host))) {
      return json(res, 403, { error: 'this viewer answers requests for localhost only' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'GET only' });
    if (path === '/' || TRACE_PATH.test(path)) return sendFile(res, 'index.html', 'text/html; charset=utf-8');
    const asset = path.startsWith('/assets/') ? path.slice('/assets/'.length) : '';
    if (Object.hasOwn(ASSETS, asset)) return sendFile(res, asset, ASSETS[asset]!);
    if (path === '/api/traces') {
      const traces = store.list({
        service: url.searchParams.get('service') || undefined,
        errorsOnly: url.searchParams.get('error') === '1',
        text: url.searchParams.get('q') || undefined,
      });
      return json(res, 200, { traces, services: store.services(), stats: store.stats(), otlpEndpoint: otlpEndpoint() });
    }
    const match = API_TRACE_PATH.exec(path);
    if (match !== null) {
      const trace = store.get(match[1]!);
      return trace === undefined || trace.spans.size === 0
        ? json(res, 404, { error: 'trace not (or no longer) in the viewer' })
        : json(res, 200, traceJson(trace, store));
    }
    if (path === '/api/events') {
      if (clients.size >= MAX_EVENT_CLIENTS) {
        json(res, 503, { error: 'too many live pages' });
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      clients.add(res);
      req.once('close', () => clients.delete(res));
      return;
    }
    json(res, 404, { error: 'not found' });
  }

  return {
    handle,
    close: () => {
      clearInterval(flush);
      unsubscribe();
      for (const client of clients) client.end();
      clients.clear();
    },
  };
}

function hostName(host: string | undefined): string {
  if (host === undefined) return '';
  const bracket = host.startsWith('[') ? host.indexOf(']') : -1;
  return (bracket > 0 ? host.slice(0, bracket + 1) : host.split(':')[0]!).toLowerCase();
}

async function sendFile(res: ServerResponse, file: string, type: string): Promise<void> {
  const body = await readFile(new URL(file, WEB_DIR));
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
  res.end(body);
}
