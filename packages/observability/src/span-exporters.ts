import { createRequire } from 'node:module';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { ResolvedConfig } from './config.ts';
import { JsonLinesSpanExporter } from './console-exporter.ts';
import type { TracesExporterName } from './types.ts';

const require = createRequire(import.meta.url);

/** Builds the exporter for one `OTEL_TRACES_EXPORTER` entry; `none` has no exporter. */
export function createSpanExporter(name: TracesExporterName, config: ResolvedConfig): SpanExporter | undefined {
  switch (name) {
    case 'none':
      return undefined;
    case 'console':
      return new JsonLinesSpanExporter();
    case 'otlp':
      return createOtlpExporter(config.otlp);
  }
}

function createOtlpExporter(otlp: ResolvedConfig['otlp']): SpanExporter {
  const settings = { url: otlp.url, headers: otlp.headers, timeoutMillis: otlp.timeoutMs };
  switch (otlp.protocol) {
    case 'http/json':
      return new OtlpJsonExporter(settings);
    case 'grpc': {
      // gRPC pulls in @grpc/grpc-js; load it only for the services that ask for it.
      const grpc = require('@opentelemetry/exporter-trace-otlp-grpc') as {
        OTLPTraceExporter: new (config: { url: string; timeoutMillis: number }) => SpanExporter;
      };
      return new grpc.OTLPTraceExporter({ url: otlp.url, timeoutMillis: otlp.timeoutMs });
    }
    default:
      return new OtlpProtoExporter(settings);
  }
}
