import { ExportResultCode } from '@opentelemetry/core';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { OtlpSignalPoster, type OtlpSignalSettings } from './otlp-signal-poster.ts';

/** Settings of the OTLP/HTTP log export (`OTEL_EXPORTER_OTLP_LOGS_*`, `OTEL_BLRP_*`). */
export interface OtlpLogExportSettings extends OtlpSignalSettings {
  scheduledDelayMs: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
}

/** Counts that tell whether log records reach the collector. */
export interface LogExportHealth {
  exported: number;
  failed: number;
  /** Dropped because the bounded queue was full. */
  dropped: number;
  queued: number;
}

/** Between two notices of dropped records. */
const DROP_NOTICE_INTERVAL_MS = 60_000;

/**
 * Batches log records and sends them over OTLP/HTTP through one {@link OtlpSignalPoster}: a bounded
 * queue (records past it are dropped, counted and reported once a minute), one request in flight,
 * cut at the timeout. Adding a record never blocks and never throws.
 */
export class OtlpLogExport {
  readonly health: LogExportHealth = { exported: 0, failed: 0, dropped: 0, queued: 0 };
  private readonly settings: OtlpLogExportSettings;
  private readonly poster: OtlpSignalPoster;
  private queue: ReadableLogRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private lastDropNoticeAt = Number.NEGATIVE_INFINITY;
  private unreportedDrops = 0;
  private closed = false;

  constructor(settings: OtlpLogExportSettings) {
    this.settings = settings;
    this.poster = new OtlpSignalPoster('log', settings);
  }

  add(record: ReadableLogRecord): void {
    if (this.admit()) this.enqueue(record);
  }

  /** Whether one more record fits; a refused one is counted and reported. Ask before building a record. */
  admit(): boolean {
    if (this.closed) return false;
    if (this.queue.length < this.settings.maxQueueSize) return true;
    this.health.dropped++;
    this.unreportedDrops++;
    this.reportDrops();
    return false;
  }

  /** Queues a record that {@link admit} let in. */
  enqueue(record: ReadableLogRecord): void {
    this.queue.push(record);
    this.health.queued = this.queue.length;
    if (this.queue.length >= this.settings.maxExportBatchSize) this.sendNext();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.sendNext(), this.settings.scheduledDelayMs);
      this.timer.unref();
    }
  }

  /** Sends everything queued now; resolves when the queue is empty or a send failed. Never rejects. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight !== undefined) {
      const before = this.health.failed;
      this.sendNext();
      await this.inFlight;
      if (this.health.failed > before) return;
    }
  }

  /** Flushes, then closes the connection; records added later are ignored. */
  async shutdown(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearTimeout(this.timer);
    this.poster.close();
  }

  private sendNext(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight !== undefined || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.settings.maxExportBatchSize);
    this.health.queued = this.queue.length;
    this.inFlight = this.send(batch).finally(() => {
      this.inFlight = undefined;
      if (this.closed) return;
      if (this.queue.length >= this.settings.maxExportBatchSize) this.sendNext();
      else if (this.queue.length > 0 && this.timer === undefined) {
        this.timer = setTimeout(() => this.sendNext(), this.settings.scheduledDelayMs);
        this.timer.unref();
      }
    });
  }

  private async send(batch: ReadableLogRecord[]): Promise<void> {
    const serializer = this.settings.json ? JsonLogsSerializer : ProtobufLogsSerializer;
    const result = await this.poster.post(() => serializer.serializeRequest(batch), batch.length);
    if (result.code === ExportResultCode.SUCCESS) this.health.exported += batch.length;
    else this.health.failed += batch.length;
  }

  // Reporting goes through the logger, which may log into this queue again: the time is set first.
  private reportDrops(): void {
    const now = performance.now();
    if (now - this.lastDropNoticeAt < DROP_NOTICE_INTERVAL_MS) return;
    this.lastDropNoticeAt = now;
    const dropped = this.unreportedDrops;
    this.unreportedDrops = 0;
    this.settings.notices.warn(
      { otlp: { dropped_log_records: dropped, max_queue_size: this.settings.maxQueueSize } },
      `dropped ${dropped} log records: the OTLP log export did not keep up`,
    );
  }
}
