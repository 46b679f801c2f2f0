import type { ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { OtlpSignalPoster, type OtlpSignalSettings } from './otlp-signal-poster.ts';
import { type EncodedSpan, encodeTraceRequest } from './otlp-span-encoder.ts';

/**
 * OTLP/HTTP span export (protobuf or JSON) through one {@link OtlpSignalPoster}: one request in flight,
 * cut with its socket at the timeout, no retry pile-up; failures counted by the batch processor and
 * logged at most once a minute, with a short redacted excerpt of what the endpoint answered.
 */
export class OtlpHttpSpanExporter implements SpanExporter {
  private readonly poster: OtlpSignalPoster;
  private readonly json: boolean;
  /** Protobuf only: the batch processor may hand over spans it encoded when they ended. */
  readonly acceptsEncodedSpans: boolean;

  constructor(settings: OtlpSignalSettings) {
    this.poster = new OtlpSignalPoster('span', settings);
    this.json = settings.json;
    this.acceptsEncodedSpans = !settings.json;
  }

  export(spans: (ReadableSpan | EncodedSpan)[], resultCallback: (result: ExportResult) => void): void {
    const serialize = this.json
      ? () => JsonTraceSerializer.serializeRequest(spans as ReadableSpan[])
      : () => encodeTraceRequest(spans);
    void this.poster.post(serialize, spans.length).then(resultCallback);
  }

  async shutdown(): Promise<void> {
    this.poster.close();
  }

  async forceFlush(): Promise<void> {}
}
