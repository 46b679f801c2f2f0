import { AggregationTemporality, MetricReader, type MetricProducer } from '@opentelemetry/sdk-metrics';

/**
 * A metric reader a test collects from when it wants, with the temporality a push exporter would
 * select (cumulative unless told), and extra producers when given.
 */
export class PullMetricReader extends MetricReader {
  constructor(
    temporality: AggregationTemporality = AggregationTemporality.CUMULATIVE,
    metricProducers?: MetricProducer[],
  ) {
    super({ aggregationTemporalitySelector: () => temporality, ...(metricProducers ? { metricProducers } : {}) });
  }

  protected override async onForceFlush(): Promise<void> {}

  protected override async onShutdown(): Promise<void> {}
}
