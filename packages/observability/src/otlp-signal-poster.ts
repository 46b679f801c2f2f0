import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OtlpExportError } from './errors.ts';
import { ExportFailureLog, type NoticeSink } from './export-failure-log.ts';
import { OtlpHttpSender } from './otlp-http-sender.ts';
import type { Redactor } from './redact.ts';

/** Where and how one signal's OTLP/HTTP requests go. */
export interface OtlpSignalSettings {
  url: string;
  headers: Record<string, string>;
  json: boolean;
  timeoutMs: number;
  notices: NoticeSink;
  redact: Redactor;
}

/**
 * An {@link OtlpHttpSender} plus its throttled failure notices, answering as SDK exporters do
 * (`ExportResult`), for the span and metric exporters.
 */
export class OtlpSignalPoster {
  private readonly sender: OtlpHttpSender;
  private readonly failures: ExportFailureLog;

  constructor(what: string, settings: OtlpSignalSettings) {
    this.sender = new OtlpHttpSender({
      url: settings.url,
      headers: settings.headers,
      contentType: settings.json ? 'application/json' : 'application/x-protobuf',
      timeoutMs: settings.timeoutMs,
    });
    this.failures = new ExportFailureLog(what, settings.url, settings.notices, settings.redact);
  }

  /** Serializes with `serialize` and posts; `items` is what a failure notice counts. Never rejects. */
  async post(serialize: () => Uint8Array | undefined, items: number): Promise<ExportResult> {
    let body: Uint8Array | undefined;
    try {
      body = serialize();
    } catch {
      body = undefined;
    }
    const result =
      body === undefined ? { ok: false as const, errorType: 'serialize_failed' } : await this.sender.post(body);
    this.failures.record(result, items);
    return result.ok
      ? { code: ExportResultCode.SUCCESS }
      : { code: ExportResultCode.FAILED, error: new OtlpExportError(result.errorType, result.status) };
  }

  /** Cuts the request in flight and closes the connection. */
  close(): void {
    this.sender.close();
  }
}
