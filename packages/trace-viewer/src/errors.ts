/** Stable codes of the viewer's errors. */
export type TraceViewerErrorCode = 'MALFORMED_PROTOBUF' | 'MALFORMED_JSON' | 'USAGE' | 'LISTEN_FAILED';

/** A viewer error with a stable `code`: bad OTLP input (answered 400) or a bad command line. */
export class TraceViewerError extends Error {
  readonly code: TraceViewerErrorCode;

  constructor(code: TraceViewerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TraceViewerError';
    this.code = code;
  }
}
