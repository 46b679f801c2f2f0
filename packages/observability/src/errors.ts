/**
 * An OTLP export that did not reach a collector. `errorType` is what the tracing-health metrics
 * record (`timeout`, `503`, `ECONNREFUSED`, `invalid_response`...); the message never holds the
 * endpoint, a header or the answer.
 */
export class OtlpExportError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'otlp_export_failed';
  /** Kind of failure, low-cardinality, safe as a metric label. */
  readonly errorType: string;
  /** HTTP status of the answer, when there was one. */
  readonly status: number | undefined;
  constructor(errorType: string, status?: number, options?: ErrorOptions) {
    super(status === undefined ? `OTLP export failed: ${errorType}` : `OTLP export failed: HTTP ${status}`, options);
    this.name = 'OtlpExportError';
    this.errorType = errorType;
    this.status = status;
  }
}
