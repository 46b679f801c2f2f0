import { type SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMilliseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { stdoutDestination } from './log-destination.ts';

/** Where console lines are written; stdout (the batched channel logs use) unless a test passes its own. */
export interface LineSink {
  write(chunk: string, callback?: (error?: Error | null) => void): boolean;
}

/** The JSON object written per span: a stable, grep-able shape, not the SDK's object dump. */
export interface ConsoleSpanLine {
  type: 'span';
  service_name: string;
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: keyof typeof SpanKind;
  start_time: string;
  duration_ms: number;
  status_code: 'UNSET' | 'OK' | 'ERROR';
  status_message: string | null;
  attributes: Record<string, unknown>;
  events?: { name: string; time: string; attributes: Record<string, unknown> }[];
  links?: { trace_id: string; span_id: string; attributes: Record<string, unknown> }[];
}

const KIND_NAMES = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;
const STATUS_NAMES = ['UNSET', 'OK', 'ERROR'] as const;

// Span lines share the loggers' batched, asynchronous stdout channel: one ordered stream, and a slow
// pipe never blocks the event loop. A batch the channel had to drop is reported as a failed export.
function stdoutSink(): LineSink {
  const destination = stdoutDestination();
  return {
    write(chunk, callback) {
      const before = destination.dropped;
      destination.write(chunk);
      callback?.(destination.dropped > before ? new Error('stdout did not keep up') : null);
      return true;
    },
  };
}

/** Turns one finished span into its console line object. */
export function toConsoleLine(span: ReadableSpan): ConsoleSpanLine {
  const ctx = span.spanContext();
  const line: ConsoleSpanLine = {
    type: 'span',
    service_name: String(span.resource.attributes['service.name'] ?? ''),
    trace_id: ctx.traceId,
    span_id: ctx.spanId,
    parent_span_id: span.parentSpanContext?.spanId ?? null,
    name: span.name,
    kind: KIND_NAMES[span.kind] ?? 'INTERNAL',
    start_time: new Date(hrTimeToMilliseconds(span.startTime)).toISOString(),
    duration_ms: Math.round(hrTimeToMilliseconds(span.duration) * 1000) / 1000,
    status_code: STATUS_NAMES[span.status.code] ?? 'UNSET',
    status_message: span.status.code === SpanStatusCode.ERROR ? (span.status.message ?? null) : null,
    attributes: { ...span.attributes },
  };
  if (span.events.length > 0) {
    line.events = span.events.map((e) => ({
      name: e.name,
      time: new Date(hrTimeToMilliseconds(e.time)).toISOString(),
      attributes: { ...e.attributes },
    }));
  }
  if (span.links.length > 0) {
    line.links = span.links.map((l) => ({
      trace_id: l.context.traceId,
      span_id: l.context.spanId,
      attributes: { ...l.attributes },
    }));
  }
  return line;
}

/**
 * Writes each batch as JSON lines in one write call. Behind the batch processor it never runs
 * on the request path; the write is asynchronous for pipes and sockets.
 */
export class JsonLinesSpanExporter implements SpanExporter {
  private readonly sink: LineSink;

  constructor(sink: LineSink = stdoutSink()) {
    this.sink = sink;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let text = '';
    for (const span of spans) text += `${JSON.stringify(toConsoleLine(span))}\n`;
    try {
      this.sink.write(text, (error) =>
        resultCallback(error ? { code: ExportResultCode.FAILED, error } : { code: ExportResultCode.SUCCESS }),
      );
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {}

  async forceFlush(): Promise<void> {}
}
