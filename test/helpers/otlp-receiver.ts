import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeTraceRequest } from './otlp-protobuf.ts';
import type { OtlpAnyValue, OtlpAttributes, OtlpSpan } from './otlp-types.ts';

export type { OtlpSpan } from './otlp-types.ts';

/** How the receiver answers, so tests can play a collector that fails or hangs. */
export type ReceiverMode = { kind: 'ok' } | { kind: 'status'; status: number } | { kind: 'hang' };

/** A real OTLP/HTTP trace receiver on a loopback port (http/protobuf and http/json). */
export interface OtlpReceiver extends AsyncDisposable {
  /** Base endpoint, e.g. `http://127.0.0.1:43121`, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  readonly port: number;
  /** Every span received so far. */
  readonly spans: OtlpSpan[];
  /** Content types of the export requests received, in order. */
  readonly contentTypes: string[];
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
  const contentTypes: string[] = [];
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
    if (req.url?.startsWith('/v1/traces')) {
      try {
        const received = type.includes('json')
          ? decodeJson(JSON.parse(body.toString('utf8')))
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
    contentTypes,
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

interface JsonKeyValue {
  key: string;
  value?: JsonAnyValue;
}
interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: JsonAnyValue[] };
  kvlistValue?: { values?: JsonKeyValue[] };
}

function jsonValue(v: JsonAnyValue | undefined): OtlpAnyValue {
  if (v === undefined) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(jsonValue);
  if (v.kvlistValue !== undefined) return jsonAttributes(v.kvlistValue.values);
  return null;
}

function jsonAttributes(list: JsonKeyValue[] | undefined): OtlpAttributes {
  const out: OtlpAttributes = {};
  for (const kv of list ?? []) out[kv.key] = jsonValue(kv.value);
  return out;
}

// OTLP/JSON carries ids as hex strings (the spec) — base64 from some encoders is converted too.
function jsonId(id: string | undefined): string {
  if (!id) return '';
  return /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the OTLP/JSON document is untyped input here.
function decodeJson(doc: any): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  for (const rs of doc.resourceSpans ?? []) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: jsonId(s.traceId),
          spanId: jsonId(s.spanId),
          parentSpanId: jsonId(s.parentSpanId),
          traceState: s.traceState ?? '',
          name: s.name,
          kind: Number(s.kind ?? 0),
          startTimeUnixNano: BigInt(s.startTimeUnixNano ?? 0),
          endTimeUnixNano: BigInt(s.endTimeUnixNano ?? 0),
          attributes: jsonAttributes(s.attributes),
          events: (s.events ?? []).map((e: { name: string; attributes?: JsonKeyValue[] }) => ({
            name: e.name,
            attributes: jsonAttributes(e.attributes),
          })),
          links: (s.links ?? []).map((l: { traceId: string; spanId: string; attributes?: JsonKeyValue[] }) => ({
            traceId: jsonId(l.traceId),
            spanId: jsonId(l.spanId),
            attributes: jsonAttributes(l.attributes),
          })),
          status: { code: Number(s.status?.code ?? 0), message: s.status?.message ?? '' },
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return spans;
}
