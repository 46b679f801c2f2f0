import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import {
  CumulativeTemporalitySelector,
  DeltaTemporalitySelector,
  LowMemoryTemporalitySelector,
} from '@opentelemetry/exporter-metrics-otlp-http';
import type { ExportResult } from '@opentelemetry/core';
import type {
  AggregationTemporality,
  InstrumentType,
  PushMetricExporter,
  ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { OtlpSignalPoster, type OtlpSignalSettings } from './otlp-signal-poster.ts';

/** `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` values. */
export type TemporalityPreference = 'cumulative' | 'delta' | 'lowmemory';

const SELECTORS: Record<TemporalityPreference, (type: InstrumentType) => AggregationTemporality> = {
  cumulative: CumulativeTemporalitySelector,
  delta: DeltaTemporalitySelector,
  lowmemory: LowMemoryTemporalitySelector,
};

/**
 * OTLP/HTTP metric export (protobuf or JSON) through the same bounded sender as spans: one request
 * in flight, cut with its socket at the timeout; it never re-reads `OTEL_*` itself, so nothing it
 * reports can quote a setting.
 */
export class OtlpHttpMetricExporter implements PushMetricExporter {
  private readonly poster: OtlpSignalPoster;
  private readonly json: boolean;
  private readonly temporality: (type: InstrumentType) => AggregationTemporality;

  constructor(settings: OtlpSignalSettings, temporality: TemporalityPreference) {
    this.poster = new OtlpSignalPoster('metric', settings);
    this.json = settings.json;
    this.temporality = SELECTORS[temporality];
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    const points = metrics.scopeMetrics.reduce((sum, scope) => sum + scope.metrics.length, 0);
    const serializer = this.json ? JsonMetricsSerializer : ProtobufMetricsSerializer;
    void this.poster.post(() => serializer.serializeRequest(metrics), points).then(resultCallback);
  }

  selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return this.temporality(type);
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.poster.close();
  }
}
