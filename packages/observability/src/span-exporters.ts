import { createRequire } from 'node:module';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { ResolvedConfig } from './config.ts';
import { JsonLinesSpanExporter } from './console-exporter.ts';
import type { NoticeSink } from './export-failure-log.ts';
import { OtlpHttpSpanExporter } from './otlp-span-exporter.ts';
import type { Redactor } from './redact.ts';
import type { TracesExporterName } from './types.ts';

const require = createRequire(import.meta.url);

/** Builds the exporter for one `OTEL_TRACES_EXPORTER` entry; `none` has no exporter. */
export function createSpanExporter(
  name: TracesExporterName,
  config: ResolvedConfig,
  notices: NoticeSink,
  redact: Redactor,
): SpanExporter | undefined {
  switch (name) {
    case 'none':
      return undefined;
    case 'console':
      return new JsonLinesSpanExporter();
    case 'otlp':
      return createOtlpExporter(config, notices, redact);
  }
}

function createOtlpExporter(config: ResolvedConfig, notices: NoticeSink, redact: Redactor): SpanExporter {
  const otlp = config.otlp;
  // The request is cut at the shorter of the OTLP and batch timeouts, never later than the batch allows.
  const timeoutMs = Math.min(otlp.timeoutMs, config.batch.exportTimeoutMs);
  if (otlp.protocol === 'grpc') {
    // gRPC pulls in @grpc/grpc-js; load it only for the services that ask for it.
    const grpc = require('@opentelemetry/exporter-trace-otlp-grpc') as {
      OTLPTraceExporter: new (config: { url: string; timeoutMillis: number }) => SpanExporter;
    };
    return new grpc.OTLPTraceExporter({ url: otlp.url, timeoutMillis: timeoutMs });
  }
  return new OtlpHttpSpanExporter({
    url: otlp.url,
    headers: otlp.headers,
    json: otlp.protocol === 'http/json',
    timeoutMs,
    notices,
    redact,
  });
}
