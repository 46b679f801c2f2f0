import { gzipSync } from 'node:zlib';
import {
  JsonLogsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraceViewer, type TraceViewer } from '../src/trace-viewer.ts';
import { sdkRequests, type SdkRequests } from './sdk-requests.ts';

let viewer: TraceViewer;
let made: SdkRequests;
const MAX_BODY = 64 * 1024;

beforeAll(async () => {
  viewer = await startTraceViewer({ port: 0, otlpPort: 0, maxBodyBytes: MAX_BODY });
  made = await sdkRequests();
});
afterAll(() => viewer?.close());

const post = (path: string, body: Uint8Array | string, headers: Record<string, string>) =>
  fetch(`${viewer.otlpEndpoint}${path}`, { method: 'POST', body, headers });
const PROTOBUF = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };

async function stillReceives(): Promise<void> {
  const fresh = await sdkRequests('after-bad-input');
  expect((await post('/v1/traces', fresh.traces.protobuf, PROTOBUF)).status).toBe(200);
  expect(viewer.store.get(fresh.traceId)?.spans.size).toBe(3 - 1); // the linked span is in its own trace
}

describe('the OTLP/HTTP receiver', () => {
  it('takes traces and logs as protobuf, JSON and gzip, and files logs beside their span', async () => {
    expect((await post('/v1/traces', made.traces.protobuf, PROTOBUF)).status).toBe(200);
    const json = await post('/v1/logs', made.logs.json, JSON_TYPE);
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({});
    const gz = await post('/v1/traces', gzipSync(made.traces.json), { ...JSON_TYPE, 'content-encoding': 'gzip' });
    expect(gz.status).toBe(200);
    const trace = viewer.store.get(made.traceId)!;
    expect([...trace.spans.keys()].sort()).toEqual([made.parentSpanId, made.childSpanId].sort());
    expect(trace.logs.map((l) => [l.spanId, l.body])).toEqual([[made.childSpanId, 'publish failed']]);
    type PageSpan = { spanId: string; logs: { body: string }[]; links: unknown[] };
    const page = (await (await fetch(`${viewer.url}/api/traces/${made.traceId}`)).json()) as { spans: PageSpan[] };
    const child = page.spans.find((s) => s.spanId === made.childSpanId)!;
    expect(child.logs.map((l) => l.body)).toEqual(['publish failed']);
    expect(child.links[0]).toMatchObject({
      traceId: made.linkedTraceId,
      spanId: made.linkedSpanId,
      target: { name: 'send order.created', service: 'checkout' },
    });
  });

  it('answers malformed protobuf with 400 and a google.rpc.Status, and keeps receiving', async () => {
    const truncated = made.traces.protobuf.subarray(0, made.traces.protobuf.length - 5);
    const response = await post('/v1/traces', truncated, PROTOBUF);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-protobuf');
    expect(Buffer.from(await response.arrayBuffer()).toString('latin1')).toContain('malformed protobuf');
    expect((await post('/v1/logs', Uint8Array.of(0x0a, 0xff, 0xff, 0x7f), PROTOBUF)).status).toBe(400);
    await stillReceives();
  });

  it('answers malformed JSON with 400', async () => {
    expect((await post('/v1/traces', '{"resourceSpans": [', JSON_TYPE)).status).toBe(400);
    expect((await post('/v1/logs', '{"resourceLogs": 3}', JSON_TYPE)).status).toBe(400);
    await stillReceives();
  });

  it('answers a body over the limit with 413, declared, streamed or inflated by gzip', async () => {
    const big = new Uint8Array(MAX_BODY + 1);
    expect((await post('/v1/traces', big, PROTOBUF)).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(MAX_BODY * 50));
    expect(bomb.length).toBeLessThan(MAX_BODY);
    expect((await post('/v1/traces', bomb, { ...PROTOBUF, 'content-encoding': 'gzip' })).status).toBe(413);
    const streamed = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(MAX_BODY / 2));
        controller.close();
      },
    });
    const chunked = await fetch(`${viewer.otlpEndpoint}/v1/traces`, {
      method: 'POST',
      body: streamed,
      headers: PROTOBUF,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    await stillReceives();
  });

  it('answers a wrong content type or encoding with 415, a wrong path with 404, GET with 405', async () => {
    expect((await post('/v1/traces', 'hello', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('/v1/traces', made.traces.json, { ...JSON_TYPE, 'content-encoding': 'br' })).status).toBe(415);
    expect((await post('/v1/spans', made.traces.json, JSON_TYPE)).status).toBe(404);
    expect((await fetch(`${viewer.otlpEndpoint}/v1/traces`)).status).toBe(405);
    await stillReceives();
  });

  it('reports spans and log records a full trace did not keep as an OTLP partial success', async () => {
    // The SDK's own response decoders read what the viewer answers.
    await using small = await startTraceViewer({
      port: 0,
      otlpPort: 0,
      limits: { maxSpansPerTrace: 1, maxLogsPerTrace: 0 },
    });
    const send = async (path: string, body: Uint8Array, type: Record<string, string>) => {
      const response = await fetch(`${small.otlpEndpoint}${path}`, { method: 'POST', body, headers: type });
      expect(response.status).toBe(200);
      return new Uint8Array(await response.arrayBuffer());
    };
    // Two spans of one trace (and one of another): the full trace keeps one.
    const proto = ProtobufTraceSerializer.deserializeResponse(await send('/v1/traces', made.traces.protobuf, PROTOBUF));
    expect(proto.partialSuccess).toMatchObject({ rejectedSpans: 1 });
    expect(proto.partialSuccess?.errorMessage).toContain('--max-spans-per-trace');
    const json = JsonTraceSerializer.deserializeResponse(await send('/v1/traces', made.traces.json, JSON_TYPE));
    expect(Number(json.partialSuccess?.rejectedSpans)).toBe(1);
    const logs = ProtobufLogsSerializer.deserializeResponse(await send('/v1/logs', made.logs.protobuf, PROTOBUF));
    expect(logs.partialSuccess).toMatchObject({ rejectedLogRecords: 1 });
    const jsonLogs = JsonLogsSerializer.deserializeResponse(await send('/v1/logs', made.logs.json, JSON_TYPE));
    expect(Number(jsonLogs.partialSuccess?.rejectedLogRecords)).toBe(1);
    // Everything kept (here: nothing sent): an empty response, as before.
    expect(ProtobufLogsSerializer.deserializeResponse(await send('/v1/logs', new Uint8Array(), PROTOBUF))).toEqual({});
    const empty = new TextEncoder().encode('{"resourceSpans":[]}');
    expect(JsonTraceSerializer.deserializeResponse(await send('/v1/traces', empty, JSON_TYPE))).toEqual({});
  });

  it('accepts and ignores metrics, so services exporting all signals here see no errors', async () => {
    expect((await post('/v1/metrics', '{}', JSON_TYPE)).status).toBe(200);
  });
});
