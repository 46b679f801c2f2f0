import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { OtlpExportError } from './errors.ts';
import { ExportFailureLog, type NoticeSink } from './export-failure-log.ts';
import { OtlpHttpSender } from './otlp-http-sender.ts';
import { encodeTraceRequest } from './otlp-span-encoder.ts';
import type { Redactor } from './redact.ts';

/** Settings of the OTLP/HTTP span exporter. */
export interface OtlpSpanExporterSettings {
  url: string;
  headers: Record<string, string>;
  json: boolean;
  timeoutMs: number;
  notices: NoticeSink;
  redact: Redactor;
}

/**
 * OTLP/HTTP span export (protobuf or JSON) through one {@link OtlpHttpSender}: one request in flight,
 * cut with its socket at the timeout, no retry pile-up; failures counted by the batch processor and
 * logged at most once a minute, with a short redacted excerpt of what the endpoint answered.
 */
export class OtlpHttpSpanExporter implements SpanExporter {
  private readonly sender: OtlpHttpSender;
  private readonly json: boolean;
  private readonly failures: ExportFailureLog;

  constructor(settings: OtlpSpanExporterSettings) {
    this.json = settings.json;
    this.sender = new OtlpHttpSender({
      url: settings.url,
      headers: settings.headers,
      contentType: settings.json ? 'application/json' : 'application/x-protobuf',
      timeoutMs: settings.timeoutMs,
    });
    this.failures = new ExportFailureLog('span', settings.url, settings.notices, settings.redact);
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let body: Uint8Array;
    try {
      body = this.json ? (JsonTraceSerializer.serializeRequest(spans) ?? new Uint8Array()) : encodeTraceRequest(spans);
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
      return;
    }
    void this.sender.post(body).then((result) => {
      this.failures.record(result, spans.length);
      resultCallback(
        result.ok
          ? { code: ExportResultCode.SUCCESS }
          : { code: ExportResultCode.FAILED, error: new OtlpExportError(result.errorType, result.status) },
      );
    });
  }

  async shutdown(): Promise<void> {
    this.sender.close();
  }

  async forceFlush(): Promise<void> {}
}
