import type { OtlpSpan } from './otlp-types.ts';
import type { StoredTrace } from './trace-store.ts';

/** The service a span or log record came from (its resource's `service.name`). */
export const serviceOf = (item: { resource: Record<string, unknown> }) => String(item.resource['service.name'] ?? '');

/** One line of the trace list. */
export interface TraceSummary {
  traceId: string;
  /** Name of the root span (the earliest span whose parent is not in the trace). */
  rootName: string;
  rootService: string;
  services: string[];
  spanCount: number;
  logCount: number;
  startTimeUnixNano: bigint;
  durationNanos: bigint;
  /** Some span has status ERROR. */
  error: boolean;
}

/** The list line of a trace: root span (earliest span without a parent here), services, span count, duration, error. */
export function summarize(trace: StoredTrace): TraceSummary {
  let root: OtlpSpan | undefined;
  let start: bigint | undefined;
  let end = 0n;
  let error = false;
  const services = new Set<string>();
  for (const span of trace.spans.values()) {
    services.add(serviceOf(span));
    if (start === undefined || span.startTimeUnixNano < start) start = span.startTimeUnixNano;
    if (span.endTimeUnixNano > end) end = span.endTimeUnixNano;
    if (span.status.code === 2) error = true;
    const isRoot = span.parentSpanId === '' || !trace.spans.has(span.parentSpanId);
    if (isRoot && (root === undefined || span.startTimeUnixNano < root.startTimeUnixNano)) root = span;
  }
  const first = start ?? 0n;
  return {
    traceId: trace.traceId,
    rootName: root?.name ?? '',
    rootService: root === undefined ? '' : serviceOf(root),
    services: [...services].sort(),
    spanCount: trace.spans.size,
    logCount: trace.logs.length,
    startTimeUnixNano: first,
    durationNanos: end > first ? end - first : 0n,
    error,
  };
}

/** Whether `text` (lower case) is in the trace id, a service name or a span name. */
export function matchesText(trace: StoredTrace, summary: TraceSummary, text: string): boolean {
  if (trace.traceId.includes(text)) return true;
  if (summary.services.some((s) => s.toLowerCase().includes(text))) return true;
  for (const span of trace.spans.values()) if (span.name.toLowerCase().includes(text)) return true;
  return false;
}
