import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { type ReadableSpan, SamplingDecision, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BoundedBatchSpanProcessor } from '../src/batch-processor.ts';
import { type EncodedSpan, encodeTraceRequest } from '../src/otlp-span-encoder.ts';

const noop = { onStart: () => undefined, forceFlush: async () => undefined, shutdown: async () => undefined };

const settings = { scheduledDelayMs: 10, exportTimeoutMs: 200, maxQueueSize: 10, maxExportBatchSize: 4 };

function tracerWith(processor: BoundedBatchSpanProcessor) {
  return new TracerProvider({ spanProcessors: [processor] }).getTracer('test');
}

function endSpans(processor: BoundedBatchSpanProcessor, count: number): void {
  const tracer = tracerWith(processor);
  for (let i = 0; i < count; i++) tracer.startSpan(`s${i}`, { kind: SpanKind.INTERNAL }, ROOT_CONTEXT).end();
}

/** An exporter whose answer the test controls. */
class ScriptedExporter implements SpanExporter {
  calls = 0;
  exported = 0;
  answer: 'ok' | 'fail' | 'hang' | 'throw' = 'ok';
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.calls++;
    if (this.answer === 'throw') throw new Error('sync explosion');
    if (this.answer === 'hang') return;
    if (this.answer === 'fail') {
      setImmediate(() =>
        done({ code: ExportResultCode.FAILED, error: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }),
      );
      return;
    }
    this.exported += spans.length;
    setImmediate(() => done({ code: ExportResultCode.SUCCESS }));
  }
  async shutdown(): Promise<void> {}
}

describe('BoundedBatchSpanProcessor', () => {
  it('queues spans encoded at their end for an exporter that takes them, with the same bytes', async () => {
    const requests: Uint8Array[] = [];
    let received: unknown[] = [];
    const exporter = {
      acceptsEncodedSpans: true as const,
      export(spans: (ReadableSpan | EncodedSpan)[], done: (result: ExportResult) => void) {
        received = received.concat(spans);
        requests.push(encodeTraceRequest(spans));
        setImmediate(() => done({ code: ExportResultCode.SUCCESS }));
      },
      shutdown: async () => undefined,
    };
    const processor = new BoundedBatchSpanProcessor(exporter, settings);
    const ended: ReadableSpan[] = [];
    const tracer = new TracerProvider({
      spanProcessors: [processor, { ...noop, onEnd: (span: ReadableSpan) => void ended.push(span) }],
    }).getTracer('test');
    for (let i = 0; i < 6; i++) tracer.startSpan(`s${i}`, { attributes: { i } }, ROOT_CONTEXT).end();
    await processor.forceFlush();
    expect(received).toHaveLength(6);
    expect(received.every((span) => (span as EncodedSpan).encoded instanceof Uint8Array)).toBe(true);
    const sdk = [ended.slice(0, 4), ended.slice(4)].map((batch) => ProtobufTraceSerializer.serializeRequest(batch)!);
    expect(requests.map((r) => Buffer.from(r).toString('hex'))).toEqual(sdk.map((r) => Buffer.from(r).toString('hex')));
    expect(processor.health.exported).toBe(6);
  });

  it('exports in batches of at most maxExportBatchSize and counts them', async () => {
    const exporter = new ScriptedExporter();
    const processor = new BoundedBatchSpanProcessor(exporter, settings);
    endSpans(processor, 9);
    await processor.forceFlush();
    expect(exporter.exported).toBe(9);
    expect(exporter.calls).toBe(3);
    expect(processor.health).toEqual({ exported: 9, failed: 0, dropped: 0, queued: 0 });
  });

  it('drops and counts spans beyond the bounded queue while an export hangs, without blocking the caller', async () => {
    const exporter = new ScriptedExporter();
    exporter.answer = 'hang';
    const dropped: number[] = [];
    const failed: string[] = [];
    const processor = new BoundedBatchSpanProcessor(exporter, settings, {
      onDropped: (n) => dropped.push(n),
      onFailed: (_n, reason) => failed.push(reason),
    });
    endSpans(processor, 4); // one batch goes out and hangs
    endSpans(processor, 15); // queue holds 10, 5 are dropped
    expect(processor.health.dropped).toBe(5);
    expect(dropped.reduce((a, b) => a + b, 0)).toBe(5);
    expect(processor.health.queued).toBe(10);
    exporter.answer = 'ok';
    await processor.forceFlush();
    expect(processor.health.failed).toBe(4);
    expect(failed).toContain('timeout');
    expect(processor.health.exported).toBe(10);
  });

  it('counts failed exports with the error code and resumes when the backend recovers', async () => {
    const exporter = new ScriptedExporter();
    const reasons: string[] = [];
    const processor = new BoundedBatchSpanProcessor(exporter, settings, { onFailed: (_n, r) => reasons.push(r) });
    exporter.answer = 'fail';
    endSpans(processor, 3);
    await processor.forceFlush();
    expect(processor.health.failed).toBe(3);
    expect(reasons).toEqual(['ECONNREFUSED']);
    exporter.answer = 'throw';
    endSpans(processor, 1);
    await processor.forceFlush();
    expect(processor.health.failed).toBe(4);
    exporter.answer = 'ok';
    endSpans(processor, 2);
    await processor.forceFlush();
    expect(processor.health.exported).toBe(2);
  });

  it('ignores spans that are recorded but not sampled', async () => {
    const exporter = new ScriptedExporter();
    const processor = new BoundedBatchSpanProcessor(exporter, settings);
    const recordOnly = {
      shouldSample: () => ({ decision: SamplingDecision.RECORD }),
      toString: () => 'RecordOnly',
    };
    const provider = new TracerProvider({ sampler: recordOnly, spanProcessors: [processor] });
    const span = provider.getTracer('t').startSpan('recorded-only', {}, ROOT_CONTEXT);
    expect(span.isRecording()).toBe(true);
    span.end();
    endSpans(processor, 1);
    await processor.forceFlush();
    expect(exporter.exported).toBe(1);
  });

  it('flushes on shutdown, is safe to call twice, and ignores spans after it', async () => {
    const exporter = new ScriptedExporter();
    const processor = new BoundedBatchSpanProcessor(exporter, { ...settings, scheduledDelayMs: 60_000 });
    endSpans(processor, 2);
    await Promise.all([processor.shutdown(), processor.shutdown()]);
    await processor.shutdown();
    expect(exporter.exported).toBe(2);
    endSpans(processor, 1);
    expect(processor.health.queued).toBe(0);
  });

  it('exports on the schedule without an explicit flush', async () => {
    const exporter = new ScriptedExporter();
    const processor = new BoundedBatchSpanProcessor(exporter, settings);
    endSpans(processor, 1);
    await expect.poll(() => exporter.exported, { timeout: 5000 }).toBe(1);
  });
});
