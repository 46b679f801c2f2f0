import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { type ConsoleSpanLine, JsonLinesSpanExporter } from '../src/console-exporter.ts';

function finishedSpans() {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'orders' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('t');
  const parent = tracer.startSpan(
    'POST /orders',
    { kind: SpanKind.SERVER, attributes: { 'http.route': '/orders' } },
    ROOT_CONTEXT,
  );
  const child = tracer.startSpan(
    'send orders.created',
    { kind: SpanKind.PRODUCER, links: [{ context: parent.spanContext() }] },
    trace.setSpan(ROOT_CONTEXT, parent),
  );
  child.recordException(new Error('nope'));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'nope' });
  child.end();
  parent.end();
  return memory.getFinishedSpans();
}

describe('JsonLinesSpanExporter', () => {
  it('writes one parseable JSON object per span, in one write per batch', async () => {
    const writes: string[] = [];
    const exporter = new JsonLinesSpanExporter({
      write(chunk, callback) {
        writes.push(chunk);
        callback?.();
        return true;
      },
    });
    const result = await new Promise((resolve) => exporter.export(finishedSpans(), resolve));
    expect(result).toEqual({ code: ExportResultCode.SUCCESS });
    expect(writes).toHaveLength(1);
    const lines = writes[0]!
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as ConsoleSpanLine);
    expect(lines).toHaveLength(2);
    const [child, parent] = lines;
    expect(parent).toMatchObject({
      type: 'span',
      service_name: 'orders',
      name: 'POST /orders',
      kind: 'SERVER',
      parent_span_id: null,
      status_code: 'UNSET',
      status_message: null,
      attributes: { 'http.route': '/orders' },
    });
    expect(parent!.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(parent!.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(new Date(parent!.start_time).toISOString()).toBe(parent!.start_time);
    expect(parent!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(child).toMatchObject({
      kind: 'PRODUCER',
      parent_span_id: parent!.span_id,
      trace_id: parent!.trace_id,
      status_code: 'ERROR',
      status_message: 'nope',
      links: [{ trace_id: parent!.trace_id, span_id: parent!.span_id, attributes: {} }],
    });
    expect(child!.events?.[0]?.name).toBe('exception');
  });

  it('reports a failed write instead of throwing', async () => {
    const exporter = new JsonLinesSpanExporter({
      write() {
        throw new Error('EPIPE');
      },
    });
    const result = await new Promise<{ code: number }>((resolve) => exporter.export(finishedSpans(), resolve));
    expect(result.code).toBe(ExportResultCode.FAILED);
  });
});
