import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeLogsJson, decodeLogsRequest, decodeTraceJson, decodeTraceRequest } from '@service-runtime/trace-viewer';
import type { OtlpLogRecord, OtlpSpan } from './otlp-types.ts';

export type { OtlpSpan } from './otlp-types.ts';

/** How the receiver answers, so tests can play a collector that fails or hangs. */
export type ReceiverMode = { kind: 'ok' } | { kind: 'status'; status: number } | { kind: 'hang' };

/** A real OTLP/HTTP trace and log receiver on a loopback port (http/protobuf and http/json). */
export interface OtlpReceiver extends AsyncDisposable {
  /** Base endpoint, e.g. `http://127.0.0.1:43121`, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  readonly port: number;
  /** Every span received so far. */
  readonly spans: OtlpSpan[];
  /** Every log record received so far. */
  readonly logs: OtlpLogRecord[];
  /** Content types of the export requests received, in order. */
  readonly contentTypes: string[];
  /** Bodies of the OTLP/JSON metric export requests received, parsed, in order. */
  readonly metricsJson: unknown[];
  /** Path and headers of every export request answered, in order. */
  readonly requests: { path: string; headers: IncomingHttpHeaders }[];
  /** Export requests received (including ones answered with an error). */
  requestCount(): number;
  /** Resolves once at least `count` spans (matching `filter`) arrived; rejects after `timeoutMs`. */
  waitForSpans(
    count: number,
    options?: { timeoutMs?: number; filter?: (span: OtlpSpan) => boolean },
  ): Promise<OtlpSpan[]>;
  /** Changes how later requests are answered. */
  setMode(mode: ReceiverMode): void;
  close(): Promise<void>;
}

/** Starts an OTLP/HTTP receiver on 127.0.0.1 on a free port. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: OtlpSpan[] = [];
  const logs: OtlpLogRecord[] = [];
  const contentTypes: string[] = [];
  const metricsJson: unknown[] = [];
  const received: { path: string; headers: IncomingHttpHeaders }[] = [];
  let requests = 0;
  let mode: ReceiverMode = { kind: 'ok' };
  const waiters = new Set<() => void>();
  const hanging = new Set<IncomingMessage>();

  const server: Server = createServer(async (req, res) => {
    requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (mode.kind === 'hang') {
      hanging.add(req);
      return;
    }
    if (mode.kind === 'status') {
      res.writeHead(mode.status, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const type = String(req.headers['content-type'] ?? '');
    contentTypes.push(type);
    received.push({ path: req.url ?? '', headers: req.headers });
    if (req.url?.startsWith('/v1/logs')) {
      try {
        logs.push(
          ...(type.includes('json') ? decodeLogsJson(JSON.parse(body.toString('utf8'))) : decodeLogsRequest(body)),
        );
      } catch (error) {
        res.writeHead(400).end(String(error));
        return;
      }
    }
    if (req.url?.startsWith('/v1/metrics') && type.includes('json'))
      metricsJson.push(JSON.parse(body.toString('utf8')));
    if (req.url?.startsWith('/v1/traces')) {
      try {
        const received = type.includes('json')
          ? decodeTraceJson(JSON.parse(body.toString('utf8')))
          : decodeTraceRequest(body);
        spans.push(...received);
      } catch (error) {
        res.writeHead(400).end(String(error));
        return;
      }
      for (const wake of waiters) wake();
    }
    res.writeHead(200, { 'content-type': type.includes('json') ? 'application/json' : 'application/x-protobuf' });
    res.end(type.includes('json') ? '{}' : undefined);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const close = async () => {
    for (const req of hanging) req.socket.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    spans,
    logs,
    contentTypes,
    metricsJson,
    requests: received,
    requestCount: () => requests,
    setMode: (next) => {
      mode = next;
    },
    waitForSpans(count, { timeoutMs = 10_000, filter = () => true } = {}) {
      return new Promise<OtlpSpan[]>((resolve, reject) => {
        const check = () => {
          const matching = spans.filter(filter);
          if (matching.length < count) return false;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(matching);
          return true;
        };
        const wake = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${count} spans; got ${spans.filter(filter).length}: ${spans.map((s) => s.name).join(', ')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(wake);
        check();
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
