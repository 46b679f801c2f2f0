import type { OtlpSpan } from '@service-runtime/trace-viewer';

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const BAR_WIDTH = 32;

/** Spans grouped by trace id, each group ordered by start time. */
export function groupByTrace(spans: readonly OtlpSpan[]): Map<string, OtlpSpan[]> {
  const traces = new Map<string, OtlpSpan[]>();
  for (const span of spans) {
    const list = traces.get(span.traceId) ?? [];
    list.push(span);
    traces.set(span.traceId, list);
  }
  for (const list of traces.values()) list.sort((a, b) => compareBig(a.startTimeUnixNano, b.startTimeUnixNano));
  return traces;
}

/**
 * Renders one trace as a terminal waterfall: indentation by parent, service, span name, kind,
 * a duration bar on the trace's time axis, duration, status, and links under the span they belong to.
 */
export function renderWaterfall(trace: readonly OtlpSpan[], allSpans: readonly OtlpSpan[] = trace): string {
  if (trace.length === 0) return '';
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const known = new Map(allSpans.map((s) => [`${s.traceId}/${s.spanId}`, s]));
  const children = new Map<string, OtlpSpan[]>();
  const roots: OtlpSpan[] = [];
  for (const span of trace) {
    if (span.parentSpanId && byId.has(span.parentSpanId)) {
      const list = children.get(span.parentSpanId) ?? [];
      list.push(span);
      children.set(span.parentSpanId, list);
    } else {
      roots.push(span);
    }
  }
  // BigInt nanoseconds: Math.min/max do not take them.
  let start = trace[0]!.startTimeUnixNano;
  let end = 0n;
  for (const span of trace) {
    if (span.startTimeUnixNano < start) start = span.startTimeUnixNano;
    if (span.endTimeUnixNano > end) end = span.endTimeUnixNano;
  }
  const total = Number(end - start) || 1;
  const rows: string[] = [];
  const nameWidth = 52;

  const visit = (span: OtlpSpan, depth: number) => {
    const service = String(span.resource['service.name'] ?? '?');
    const target =
      span.kind === 3 && span.attributes['server.address']
        ? ` → ${span.attributes['server.address']}:${span.attributes['server.port']}`
        : '';
    const label = `${'  '.repeat(depth)}${service}: ${span.name}${target}`;
    const offset = Math.floor((Number(span.startTimeUnixNano - start) / total) * BAR_WIDTH);
    const width = Math.max(1, Math.round((Number(span.endTimeUnixNano - span.startTimeUnixNano) / total) * BAR_WIDTH));
    const bar =
      `${' '.repeat(Math.min(offset, BAR_WIDTH - 1))}${'█'.repeat(Math.min(width, BAR_WIDTH - offset) || 1)}`.padEnd(
        BAR_WIDTH,
      );
    const ms = (Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6).toFixed(1).padStart(8);
    const status =
      span.status.code === 2
        ? `ERROR${span.status.message ? ` (${span.status.message})` : ''}`
        : span.status.code === 1
          ? 'OK'
          : '';
    rows.push(
      `${truncate(label, nameWidth).padEnd(nameWidth)} ${(KINDS[span.kind] ?? '?').padEnd(8)} |${bar}| ${ms} ms  ${status}`,
    );
    for (const link of span.links) {
      const target = known.get(`${link.traceId}/${link.spanId}`);
      const where = link.traceId === span.traceId ? 'this trace' : `trace ${link.traceId.slice(0, 8)}…`;
      const what = target ? `${target.resource['service.name']}: ${target.name}` : `span ${link.spanId}`;
      rows.push(`${' '.repeat(depth * 2 + 2)}↪ link to ${what} (${where})`);
    }
    for (const child of children.get(span.spanId) ?? []) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return rows.join('\n');
}

/** What a connected mesh trace must contain; each missing piece is named. */
export interface TraceExpectation {
  description: string;
  match: (span: OtlpSpan) => boolean;
}

/** The expectations that are not met by `trace`. */
export function missingFrom(trace: readonly OtlpSpan[], expectations: readonly TraceExpectation[]): string[] {
  return expectations.filter((e) => !trace.some(e.match)).map((e) => e.description);
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
