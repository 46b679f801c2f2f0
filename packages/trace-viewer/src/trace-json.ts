import type { OtlpLogRecord, OtlpSpan } from './otlp-types.ts';
import type { StoredTrace, TraceStore } from './trace-store.ts';
import { serviceOf } from './trace-summary.ts';

/** Where a link points, when the viewer holds that span: enough to label the reference. */
interface LinkTarget {
  name: string;
  service: string;
}

/** JSON.stringify replacer: nanosecond bigints travel as decimal strings. */
export function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function spanJson(span: OtlpSpan, store: TraceStore, logs: OtlpLogRecord[]): Record<string, unknown> {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    name: span.name,
    kind: span.kind,
    service: serviceOf(span),
    scope: span.scope,
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    attributes: span.attributes,
    resource: span.resource,
    events: span.events,
    status: span.status,
    linkedFrom: store.linksTo(span.traceId, span.spanId).map((from) => ({
      traceId: from.traceId,
      spanId: from.spanId,
      name: from.name,
      service: serviceOf(from),
    })),
    links: span.links.map((link) => {
      const target = store.get(link.traceId)?.spans.get(link.spanId);
      const known: LinkTarget | undefined =
        target === undefined ? undefined : { name: target.name, service: serviceOf(target) };
      return { ...link, target: known };
    }),
    logs: logs.map((log) => ({
      timeUnixNano: log.timeUnixNano,
      severityNumber: log.severityNumber,
      severityText: log.severityText,
      body: log.body,
      attributes: log.attributes,
    })),
  };
}

/** One trace as the page reads it: spans by start time, each with its links resolved and its logs. */
export function traceJson(trace: StoredTrace, store: TraceStore): Record<string, unknown> {
  const logsBySpan = new Map<string, OtlpLogRecord[]>();
  const unattached: OtlpLogRecord[] = [];
  for (const log of trace.logs) {
    if (!trace.spans.has(log.spanId)) {
      unattached.push(log);
      continue;
    }
    const list = logsBySpan.get(log.spanId) ?? [];
    list.push(log);
    logsBySpan.set(log.spanId, list);
  }
  const spans = [...trace.spans.values()].sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
  return {
    traceId: trace.traceId,
    // Every service the viewer holds: the page colours each service the same on every page.
    services: store.services(),
    spans: spans.map((span) => spanJson(span, store, logsBySpan.get(span.spanId) ?? [])),
    // Log lines whose span has not arrived (or was dropped): shown under the waterfall.
    logs: unattached.map((log) => ({ ...log, resource: undefined, service: serviceOf(log) })),
  };
}
