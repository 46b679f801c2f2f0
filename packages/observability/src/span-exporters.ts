import { createRequire } from 'node:module';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer, TraceExporterMetricsHelper, type ISerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { ResolvedConfig } from './config.ts';
import { JsonLinesSpanExporter } from './console-exporter.ts';
import { encodeTraceRequest } from './otlp-span-encoder.ts';
import type { TracesExporterName } from './types.ts';

const require = createRequire(import.meta.url);

/** `otel.component.type` of the SDK's OTLP http/protobuf span exporter, kept for its self-metrics. */
const OTLP_HTTP_SPAN_EXPORTER = 'otlp_http_span_exporter';

/** The SDK's protobuf trace serializer with our faster, byte-identical request encoder. */
const protobufSerializer: ISerializer<
  ReadableSpan[],
  ReturnType<typeof ProtobufTraceSerializer.deserializeResponse>
> = {
  serializeRequest: encodeTraceRequest,
  deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
};

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
      return new OTLPExporterBase(
        createOtlpHttpExportDelegate(
          convertLegacyHttpOptions(settings, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
          protobufSerializer,
          OTLP_HTTP_SPAN_EXPORTER,
          TraceExporterMetricsHelper,
          undefined,
        ),
      );
  }
}
