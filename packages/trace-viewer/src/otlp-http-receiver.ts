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

/** google.rpc.Status { code = 1; message = 2 } as protobuf, the body OTLP/HTTP gives errors. */
function statusProtobuf(code: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const length: number[] = [];
  for (let v = text.length; ; v >>>= 7) {
    if (v < 0x80) {
      length.push(v);
      break;
    }
    length.push((v & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([0x08, code, 0x12, ...length]), text]);
}

/** Answers an OTLP/HTTP error: status, and google.rpc.Status in the request's encoding. */
function fail(res: ServerResponse, status: number, message: string, encoding: Encoding = 'json'): void {
  const grpcCode = status === 413 ? 8 : 3; // RESOURCE_EXHAUSTED, INVALID_ARGUMENT
  res.writeHead(status, {
    ...CORS,
    connection: 'close',
    'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
  });
  res.end(encoding === 'json' ? JSON.stringify({ code: grpcCode, message }) : statusProtobuf(grpcCode, message));
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
    try {
      if (signal !== 'metrics') ingest(store, signal, encoding, body);
    } catch (error) {
      return fail(res, 400, error instanceof Error ? error.message : String(error), encoding);
    }
    res.writeHead(200, {
      ...CORS,
      'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
    });
    res.end(encoding === 'json' ? '{}' : undefined);
  }
}

function ingest(store: TraceStore, signal: 'traces' | 'logs', encoding: Encoding, body: Buffer): void {
  if (encoding === 'protobuf') {
    if (signal === 'traces') store.addSpans(decodeTraceRequest(body));
    else store.addLogs(decodeLogsRequest(body));
    return;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new TraceViewerError('MALFORMED_JSON', `malformed OTLP/JSON: ${(error as Error).message}`);
  }
  if (signal === 'traces') store.addSpans(decodeTraceJson(doc));
  else store.addLogs(decodeLogsJson(doc));
}
