import type { OtlpLogRecord, OtlpSpan } from './otlp-types.ts';
import { matchesText, serviceOf, summarize, type TraceSummary } from './trace-summary.ts';

/** How much the in-memory store keeps; past these the oldest traces (least recently updated) go first. */
export interface TraceStoreLimits {
  /** Traces kept. Default 1000. */
  maxTraces: number;
  /** Spans kept per trace; later spans of a full trace are dropped and counted. Default 5000. */
  maxSpansPerTrace: number;
  /** Log records kept per trace; later ones are dropped and counted. Default 5000. */
  maxLogsPerTrace: number;
  /**
   * Spans kept across all traces (about 1.5 KB each): past it the oldest traces go, so the default
   * store stays near 400 MB whatever the traces' sizes. Default 250 000.
   */
  maxSpans: number;
  /** Log records kept across all traces; past it the oldest traces go. Default 250 000. */
  maxLogs: number;
}

/** The store's built-in limits. */
export const DEFAULT_STORE_LIMITS: TraceStoreLimits = {
  maxTraces: 1000,
  maxSpansPerTrace: 5000,
  maxLogsPerTrace: 5000,
  maxSpans: 250_000,
  maxLogs: 250_000,
};

/** What the store dropped to stay bounded. */
export interface TraceStoreStats {
  traces: number;
  evictedTraces: number;
  droppedSpans: number;
  droppedLogs: number;
  /** Log records without a trace id: the viewer shows logs beside spans only. */
  untracedLogs: number;
}

/** A filter of {@link TraceStore.list}; every given part must match. */
export interface TraceFilter {
  service?: string;
  errorsOnly?: boolean;
  /** Case-insensitive text in the trace id, a span name or a service name. */
  text?: string;
}

/** One stored trace: its spans (by span id) and log records in arrival order. */
export interface StoredTrace {
  readonly traceId: string;
  readonly spans: Map<string, OtlpSpan>;
  readonly logs: OtlpLogRecord[];
}

const HEX_ID = /^[0-9a-f]+$/;

/** A bounded in-memory store of traces and their logs, with change notifications for live pages. */
export class TraceStore {
  readonly limits: TraceStoreLimits;
  // Map order is the eviction order: a trace moves to the end whenever it receives something.
  private readonly traces = new Map<string, StoredTrace>();
  // Summaries survive until their trace changes: a live page asks for the list on every change.
  private readonly summaries = new Map<string, TraceSummary>();
  private readonly listeners = new Set<(traceIds: string[]) => void>();
  // "traceId/spanId" of a link target → "traceId/spanId" of the spans linking to it.
  private readonly linkedFrom = new Map<string, Set<string>>();
  private readonly counters = { evictedTraces: 0, droppedSpans: 0, droppedLogs: 0, untracedLogs: 0 };
  private readonly held = { spans: 0, logs: 0 };
  // Spans held per service name, so the service list costs nothing per page refresh.
  private readonly spansByService = new Map<string, number>();

  constructor(limits: Partial<TraceStoreLimits> = {}) {
    this.limits = { ...DEFAULT_STORE_LIMITS, ...limits };
  }

  /** Adds spans (a span id seen again replaces the earlier copy); returns the trace ids changed. */
  addSpans(spans: readonly OtlpSpan[]): string[] {
    const changed = new Set<string>();
    for (const span of spans) {
      if (!HEX_ID.test(span.traceId) || !HEX_ID.test(span.spanId)) {
        this.counters.droppedSpans++;
        continue;
      }
      const trace = this.touch(span.traceId);
      if (!trace.spans.has(span.spanId) && trace.spans.size >= this.limits.maxSpansPerTrace) {
        this.counters.droppedSpans++;
        continue;
      }
      const earlier = trace.spans.get(span.spanId);
      if (earlier === undefined) this.held.spans++;
      else {
        this.countService(earlier, -1);
        this.forgetSpanLinks(earlier);
      }
      this.countService(span, 1);
      trace.spans.set(span.spanId, span);
      changed.add(span.traceId);
      for (const link of span.links) {
        const key = `${link.traceId}/${link.spanId}`;
        const from = this.linkedFrom.get(key) ?? new Set<string>();
        from.add(`${span.traceId}/${span.spanId}`);
        this.linkedFrom.set(key, from);
        if (this.traces.has(link.traceId)) changed.add(link.traceId);
      }
      this.evictOldest(span.traceId);
    }
    return this.changed(changed);
  }

  /** Adds log records; those without a trace id are only counted. Returns the trace ids changed. */
  addLogs(logs: readonly OtlpLogRecord[]): string[] {
    const changed = new Set<string>();
    for (const log of logs) {
      if (!HEX_ID.test(log.traceId) || /^0+$/.test(log.traceId)) {
        this.counters.untracedLogs++;
        continue;
      }
      // checked before the trace is touched, so dropped logs never create (or refresh) a trace
      const held = this.traces.get(log.traceId)?.logs.length ?? 0;
      if (this.limits.maxLogs === 0 || held >= this.limits.maxLogsPerTrace) {
        this.counters.droppedLogs++;
        continue;
      }
      const trace = this.touch(log.traceId);
      trace.logs.push(log);
      this.held.logs++;
      changed.add(log.traceId);
      this.evictOldest(log.traceId);
    }
    return this.changed(changed);
  }

  get(traceId: string): StoredTrace | undefined {
    return this.traces.get(traceId);
  }

  /** The stored spans that link to `spanId` of `traceId` (a NATS consumer to its producer, say). */
  linksTo(traceId: string, spanId: string): OtlpSpan[] {
    const out: OtlpSpan[] = [];
    for (const from of this.linkedFrom.get(`${traceId}/${spanId}`) ?? []) {
      const [fromTrace, fromSpan] = from.split('/') as [string, string];
      const span = this.traces.get(fromTrace)?.spans.get(fromSpan);
      if (span !== undefined) out.push(span);
    }
    return out;
  }

  /** Traces with at least one span, newest (latest start) first. */
  list(filter: TraceFilter = {}): TraceSummary[] {
    const text = filter.text?.trim().toLowerCase() || undefined;
    const out: TraceSummary[] = [];
    for (const trace of this.traces.values()) {
      if (trace.spans.size === 0) continue;
      let summary = this.summaries.get(trace.traceId);
      if (summary === undefined) {
        summary = summarize(trace);
        this.summaries.set(trace.traceId, summary);
      }
      if (filter.service && !summary.services.includes(filter.service)) continue;
      if (filter.errorsOnly && !summary.error) continue;
      if (text !== undefined && !matchesText(trace, summary, text)) continue;
      out.push(summary);
    }
    return out.sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? 1 : -1));
  }

  /** Every service name seen in a stored span, sorted. */
  services(): string[] {
    return [...this.spansByService.keys()].sort();
  }

  stats(): TraceStoreStats {
    return { traces: this.traces.size, ...this.counters };
  }

  /** Calls `listener` with the trace ids changed by each add; returns the unsubscribe function. */
  subscribe(listener: (traceIds: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private touch(traceId: string): StoredTrace {
    this.summaries.delete(traceId);
    let trace = this.traces.get(traceId);
    if (trace !== undefined) {
      this.traces.delete(traceId);
      this.traces.set(traceId, trace);
      return trace;
    }
    trace = { traceId, spans: new Map(), logs: [] };
    this.traces.set(traceId, trace);
    this.evictOldest(traceId);
    return trace;
  }

  /** Evicts the least recently updated traces, never `current`, while a limit is exceeded. */
  private evictOldest(current: string): void {
    const { maxTraces, maxSpans, maxLogs } = this.limits;
    while (this.traces.size > maxTraces || this.held.spans > maxSpans || this.held.logs > maxLogs) {
      const oldest = this.traces.keys().next().value!;
      if (oldest === current) return;
      const trace = this.traces.get(oldest)!;
      this.forgetLinks(trace);
      this.held.spans -= trace.spans.size;
      for (const span of trace.spans.values()) this.countService(span, -1);
      this.held.logs -= trace.logs.length;
      this.traces.delete(oldest);
      this.summaries.delete(oldest);
      this.counters.evictedTraces++;
    }
  }

  private countService(span: OtlpSpan, delta: 1 | -1): void {
    const name = serviceOf(span);
    const count = (this.spansByService.get(name) ?? 0) + delta;
    if (count > 0) this.spansByService.set(name, count);
    else this.spansByService.delete(name);
  }

  private forgetLinks(trace: StoredTrace): void {
    for (const span of trace.spans.values()) this.forgetSpanLinks(span);
  }

  private forgetSpanLinks(span: OtlpSpan): void {
    for (const link of span.links) {
      const key = `${link.traceId}/${link.spanId}`;
      const from = this.linkedFrom.get(key);
      from?.delete(`${span.traceId}/${span.spanId}`);
      if (from?.size === 0) this.linkedFrom.delete(key);
    }
  }

  private changed(ids: Set<string>): string[] {
    const list = [...ids].filter((id) => this.traces.has(id));
    if (list.length > 0) for (const listener of this.listeners) listener(list);
    return list;
  }
}
