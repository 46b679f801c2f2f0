import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import { TraceViewerError } from './errors.ts';
import { decodeLogsJson, decodeTraceJson } from './otlp-json.ts';
import { decodeLogsRequest, decodeTraceRequest } from './otlp-protobuf.ts';
import type { TraceStore } from './trace-store.ts';

/** Largest export request body accepted (after gunzip); larger ones get 413. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

type Encoding = 'protobuf' | 'json';
type Signal = 'traces' | 'logs' | 'metrics';

const SIGNALS: Record<string, Signal> = { '/v1/traces': 'traces', '/v1/logs': 'logs', '/v1/metrics': 'metrics' };
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'content-type, content-encoding',
};

function varint(n: number): number[] {
  const out: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 0x80) return [...out, v];
    out.push((v % 128) | 0x80);
  }
}

/**
 * `{ 1: varint, 2: string }` as protobuf: the shape of both google.rpc.Status (code, message), the
 * body of OTLP/HTTP errors, and OTLP's ExportPartialSuccess (rejected count, error_message).
 */
function numberAndText(n: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from([0x08, ...varint(n), 0x12, ...varint(text.length)]), text]);
}

/** Answers an OTLP/HTTP error: status, and google.rpc.Status in the request's encoding. */
function fail(res: ServerResponse, status: number, message: string, encoding: Encoding = 'json'): void {
  const grpcCode = status === 413 ? 8 : 3; // RESOURCE_EXHAUSTED, INVALID_ARGUMENT
  res.writeHead(status, {
    ...CORS,
    connection: 'close',
    'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
  });
  res.end(encoding === 'json' ? JSON.stringify({ code: grpcCode, message }) : numberAndText(grpcCode, message));
}

/**
 * The body, or undefined once it went past `max` bytes: reading stops (the rest is never buffered)
 * and the caller answers 413 on a connection that then closes.
 */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.pause();
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function gunzipBounded(body: Buffer, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) =>
    gunzip(body, { maxOutputLength: max }, (error, out) => {
      if (error === null) resolve(out);
      else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') resolve(undefined);
      else reject(new TraceViewerError('MALFORMED_PROTOBUF', `bad gzip body: ${error.message}`));
    }),
  );
}

/**
 * The OTLP/HTTP receiver: POST /v1/traces and /v1/logs in protobuf or JSON (gzip or not) into the
 * store; /v1/metrics is accepted and ignored. Bad input gets a 4xx and never throws out of here.
 */
export function createOtlpHttpHandler(
  store: TraceStore,
  maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) fail(res, 400, error instanceof Error ? error.message : String(error));
      else res.destroy();
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const signal = SIGNALS[new URL(req.url ?? '/', 'http://localhost').pathname];
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS).end();
      return;
    }
    if (signal === undefined) return fail(res, 404, 'OTLP/HTTP paths are /v1/traces, /v1/logs and /v1/metrics');
    if (req.method !== 'POST') return fail(res, 405, 'OTLP/HTTP takes POST');
    const mediaType = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    const encoding: Encoding | undefined =
      mediaType === 'application/x-protobuf' ? 'protobuf' : mediaType === 'application/json' ? 'json' : undefined;
    if (encoding === undefined) {
      return fail(res, 415, 'content-type must be application/x-protobuf or application/json');
    }
    const contentEncoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (contentEncoding !== 'identity' && contentEncoding !== 'gzip') {
      return fail(res, 415, 'content-encoding must be gzip or none', encoding);
    }
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      return fail(res, 413, `body larger than ${maxBodyBytes} bytes`, encoding);
    }
    let body = await readBody(req, maxBodyBytes);
    if (body !== undefined && contentEncoding === 'gzip') body = await gunzipBounded(body, maxBodyBytes);
    if (body === undefined) return fail(res, 413, `body larger than ${maxBodyBytes} bytes`, encoding);
    let rejected = 0;
    try {
      if (signal !== 'metrics') rejected = ingest(store, signal, encoding, body);
    } catch (error) {
      return fail(res, 400, error instanceof Error ? error.message : String(error), encoding);
    }
    res.writeHead(200, {
      ...CORS,
      'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
    });
    res.end(exportResponse(signal, encoding, rejected, store));
  }
}

/**
 * The Export*ServiceResponse: empty, or (OTLP: a server that keeps only part of a request MUST say so)
 * a partial_success with the number of spans or log records the store did not keep, and why.
 */
function exportResponse(signal: Signal, encoding: Encoding, rejected: number, store: TraceStore): string | Buffer {
  if (rejected === 0 || signal === 'metrics') {
    return encoding === 'json' ? '{}' : Buffer.alloc(0);
  }
  const { maxSpansPerTrace, maxLogsPerTrace } = store.limits;
  const message =
    signal === 'traces'
      ? `${rejected} spans not kept: their trace already holds ${maxSpansPerTrace} (--max-spans-per-trace), or their ids are not hex`
      : `${rejected} log records not kept: their trace already holds ${maxLogsPerTrace} (--max-logs-per-trace)`;
  if (encoding === 'json') {
    const count = signal === 'traces' ? 'rejectedSpans' : 'rejectedLogRecords';
    return JSON.stringify({ partialSuccess: { [count]: String(rejected), errorMessage: message } });
  }
  const partial = numberAndText(rejected, message);
  return Buffer.concat([Buffer.from([0x0a, ...varint(partial.length)]), partial]);
}

/** Decodes the body into the store; returns how many items the store did not keep. */
function ingest(store: TraceStore, signal: 'traces' | 'logs', encoding: Encoding, body: Buffer): number {
  let doc: unknown;
  if (encoding === 'json') {
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new TraceViewerError('MALFORMED_JSON', `malformed OTLP/JSON: ${(error as Error).message}`);
    }
  }
  // The store counts what it drops; one synchronous add, so the difference is this request's share.
  const before = store.stats();
  if (signal === 'traces') {
    store.addSpans(encoding === 'json' ? decodeTraceJson(doc) : decodeTraceRequest(body));
    return store.stats().droppedSpans - before.droppedSpans;
  }
  store.addLogs(encoding === 'json' ? decodeLogsJson(doc) : decodeLogsRequest(body));
  return store.stats().droppedLogs - before.droppedLogs;
}
