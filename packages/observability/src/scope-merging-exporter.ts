import type { ExportResult, InstrumentationScope } from '@opentelemetry/core';
import type {
  AggregationOption,
  AggregationTemporality,
  InstrumentType,
  PushMetricExporter,
  ResourceMetrics,
  ScopeMetrics,
} from '@opentelemetry/sdk-metrics';

/** The SDK's identity of a scope: name, version and schema URL. */
export function scopeKey(scope: InstrumentationScope): string {
  return `${scope.name}:${scope.version ?? ''}:${scope.schemaUrl ?? ''}`;
}

/**
 * One `ScopeMetrics` per scope, as the SDK alone gives: a reader appends each extra producer's
 * scopes (the bound instruments') after the SDK's, so one scope can appear twice.
 */
export function mergeSameScopes(metrics: ResourceMetrics): ResourceMetrics {
  const byScope = new Map<string, ScopeMetrics>();
  for (const { scope, metrics: list } of metrics.scopeMetrics) {
    const id = scopeKey(scope);
    const found = byScope.get(id);
    if (found === undefined) byScope.set(id, { scope, metrics: [...list] });
    else found.metrics.push(...list);
  }
  if (byScope.size === metrics.scopeMetrics.length) return metrics;
  return { resource: metrics.resource, scopeMetrics: [...byScope.values()] };
}

/** A push exporter that merges repeated scopes before handing the metrics to `inner`. */
export class ScopeMergingExporter implements PushMetricExporter {
  readonly #inner: PushMetricExporter;
  readonly selectAggregationTemporality?: (type: InstrumentType) => AggregationTemporality;
  readonly selectAggregation?: (type: InstrumentType) => AggregationOption;

  constructor(inner: PushMetricExporter) {
    this.#inner = inner;
    // Only what the inner exporter selects: the reader falls back to its defaults for the rest.
    if (inner.selectAggregationTemporality) {
      this.selectAggregationTemporality = inner.selectAggregationTemporality.bind(inner);
    }
    if (inner.selectAggregation) this.selectAggregation = inner.selectAggregation.bind(inner);
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    this.#inner.export(mergeSameScopes(metrics), resultCallback);
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }
}
