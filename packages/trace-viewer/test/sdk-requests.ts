import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  JsonLogsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/** What {@link sdkRequests} made: the ids to look for and the export request bodies. */
export interface SdkRequests {
  traceId: string;
  parentSpanId: string;
  childSpanId: string;
  linkedTraceId: string;
  linkedSpanId: string;
  traces: { protobuf: Uint8Array; json: Uint8Array };
  logs: { protobuf: Uint8Array; json: Uint8Array };
}

/**
 * Real OTLP export requests made by the OpenTelemetry SDK's own serializers: a SERVER span with a
 * failing PRODUCER child (exception event, link to a span of another trace) and a log line inside it.
 */
export async function sdkRequests(service = 'checkout'): Promise<SdkRequests> {
  const resource = resourceFromAttributes({ 'service.name': service });
  const spans = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  const logs = new InMemoryLogRecordExporter();
  const loggers = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: logs })] });
  const tracer = provider.getTracer('test-scope');

  const other = tracer.startSpan('send order.created', { kind: SpanKind.PRODUCER });
  other.end();
  const parent = tracer.startSpan('POST /orders', { kind: SpanKind.SERVER, attributes: { 'http.route': '/orders' } });
  const parentContext = trace.setSpan(context.active(), parent);
  const child = tracer.startSpan(
    'publish order.created',
    { kind: SpanKind.PRODUCER, links: [{ context: other.spanContext(), attributes: { 'link.reason': 'creation' } }] },
    parentContext,
  );
  child.recordException(new TypeError('no route to NATS'));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'no route to NATS' });
  loggers.getLogger('test-scope').emit({
    body: 'publish failed',
    severityNumber: 17,
    severityText: 'ERROR',
    attributes: { subject: 'order.created' },
    context: trace.setSpan(context.active(), child),
  });
  child.end();
  parent.end();

  await provider.forceFlush();
  await loggers.forceFlush();
  const finished = spans.getFinishedSpans();
  const records = logs.getFinishedLogRecords();
  return {
    traceId: parent.spanContext().traceId,
    parentSpanId: parent.spanContext().spanId,
    childSpanId: child.spanContext().spanId,
    linkedTraceId: other.spanContext().traceId,
    linkedSpanId: other.spanContext().spanId,
    traces: {
      protobuf: ProtobufTraceSerializer.serializeRequest(finished)!,
      json: JsonTraceSerializer.serializeRequest(finished)!,
    },
    logs: {
      protobuf: ProtobufLogsSerializer.serializeRequest(records)!,
      json: JsonLogsSerializer.serializeRequest(records)!,
    },
  };
}
