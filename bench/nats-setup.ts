// What every NATS bench variant shares: its OpenTelemetry environment and the event data it sends.

/** The OTEL_* environment every NATS bench variant runs with: spans to `endpoint` over OTLP http/protobuf. */
export function benchSpanEnv(endpoint: string): Record<string, string> {
  return {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_BSP_MAX_QUEUE_SIZE: '250000',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    LOG_LEVEL: 'warn',
  };
}

/** The event data every NATS bench variant sends. */
export const BENCH_PAYLOAD = {
  orderId: 'ord-000123',
  customer: { id: 'cus-42', tier: 'gold' },
  items: [
    { sku: 'sku-1', qty: 2, price: 9.99 },
    { sku: 'sku-2', qty: 1, price: 24.5 },
  ],
  total: 44.48,
  currency: 'EUR',
};
