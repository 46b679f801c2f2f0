import { context, ROOT_CONTEXT, TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { OtlpExportError } from './errors.ts';
import { type EncodedSpan, EndedSpanEncoder } from './otlp-span-encoder.ts';
import type { TracingHealth } from './types.ts';

/** Settings of the bounded batch processor (OTEL_BSP_*). */
export interface BatchSettings {
  scheduledDelayMs: number;
  exportTimeoutMs: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
}

// Exporters cut their own request at exportTimeoutMs; this later backstop only catches one that never
// calls back, so it never fires first and starts a second export while the first is still in flight.
const BACKSTOP_GRACE_MS = 1000;
// What an exporter does (an HTTP or gRPC call) is never traced itself, as in the SDK's processors.
const UNTRACED = suppressTracing(ROOT_CONTEXT);

/** An exporter that also takes spans encoded when they ended ({@link EndedSpanEncoder}). */
export interface EncodedSpanExporter extends SpanExporter {
  readonly acceptsEncodedSpans: true;
  export(spans: (ReadableSpan | EncodedSpan)[], resultCallback: (result: ExportResult) => void): void;
}

/** Callbacks that turn export outcomes into tracing-health metrics. */
export interface BatchObserver {
  onExported?(count: number): void;
  onFailed?(count: number, reason: string): void;
  onDropped?(count: number): void;
}

/**
 * Batches finished spans off the hot path. The queue is bounded (a full queue drops and counts),
 * at most one export runs at a time and each is cut off after `exportTimeoutMs`, so a collector that
 * is down, slow or answering 5xx never blocks or grows the service. `shutdown()` never rejects.
 */
export class BoundedBatchSpanProcessor implements SpanProcessor {
  readonly health: TracingHealth = { exported: 0, failed: 0, dropped: 0, queued: 0 };
  private queue: (ReadableSpan | EncodedSpan)[] = [];
  /** Set when the exporter takes spans encoded at their end (OTLP protobuf): queue bytes, not span objects. */
  private readonly encoder: EndedSpanEncoder | undefined;
  private timer: NodeJS.Timeout | undefined;
  private exporting: Promise<void> | undefined;
  private isShutdown = false;
  private readonly exporter: SpanExporter;
  private readonly settings: BatchSettings;
  private readonly observer: BatchObserver;

  constructor(exporter: SpanExporter, settings: BatchSettings, observer: BatchObserver = {}) {
    this.exporter = exporter;
    this.settings = { ...settings, maxExportBatchSize: Math.min(settings.maxExportBatchSize, settings.maxQueueSize) };
    this.observer = observer;
    // Its own encoder: this queue empties in order, so its slabs live only while their spans wait.
    const encodes = (exporter as Partial<EncodedSpanExporter>).acceptsEncodedSpans === true;
    this.encoder = encodes ? new EndedSpanEncoder() : undefined;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.isShutdown || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queue.length >= this.settings.maxQueueSize) {
      this.health.dropped++;
      this.observer.onDropped?.(1);
      return;
    }
    this.queue.push(this.encoder === undefined ? span : this.encoder.encode(span));
    this.health.queued = this.queue.length;
    if (this.queue.length >= this.settings.maxExportBatchSize) this.kick();
    else this.arm();
  }

  async forceFlush(): Promise<void> {
    while (this.exporting !== undefined || this.queue.length > 0) {
      await (this.exporting ?? this.exportOne());
    }
  }

  async shutdown(): Promise<void> {
    if (this.isShutdown) return;
    this.isShutdown = true;
    clearTimeout(this.timer);
    await this.forceFlush();
    await this.exporter.shutdown().catch(() => undefined);
  }

  private arm(): void {
    if (this.timer !== undefined || this.exporting !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.settings.scheduledDelayMs);
    this.timer.unref();
  }

  private kick(): void {
    if (this.exporting !== undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    void this.exportOne();
  }

  private exportOne(): Promise<void> {
    const batch = this.queue.splice(0, this.settings.maxExportBatchSize);
    this.health.queued = this.queue.length;
    if (batch.length === 0) return Promise.resolve();
    const done = this.send(batch).then((result) => {
      if (result.code === ExportResultCode.SUCCESS) {
        this.health.exported += batch.length;
        this.observer.onExported?.(batch.length);
      } else {
        this.health.failed += batch.length;
        this.observer.onFailed?.(batch.length, errorType(result.error));
      }
    });
    this.exporting = done.finally(() => {
      this.exporting = undefined;
      if (this.queue.length >= this.settings.maxExportBatchSize) this.kick();
      else if (this.queue.length > 0 && !this.isShutdown) this.arm();
    });
    return this.exporting;
  }

  private send(batch: (ReadableSpan | EncodedSpan)[]): Promise<ExportResult> {
    return new Promise<ExportResult>((resolve) => {
      const timer = setTimeout(
        () => resolve({ code: ExportResultCode.FAILED, error: new Error('export timed out') }),
        this.settings.exportTimeoutMs + BACKSTOP_GRACE_MS,
      );
      timer.unref();
      try {
        context.with(UNTRACED, () =>
          this.exporter.export(batch as ReadableSpan[], (result) => {
            clearTimeout(timer);
            resolve(result);
          }),
        );
      } catch (error) {
        clearTimeout(timer);
        resolve({ code: ExportResultCode.FAILED, error: error as Error });
      }
    });
  }
}

function errorType(error: Error | undefined): string {
  if (error === undefined) return 'export_failed';
  if (error instanceof OtlpExportError) return error.errorType;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
  if (error.message === 'export timed out') return 'timeout';
  return error.name === 'Error' ? 'export_failed' : error.name;
}
