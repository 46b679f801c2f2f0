/** Base class of every httpkit error: a stable `code` and the `cause` it wraps. */
export class HttpkitError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  constructor(message: string, code = 'httpkit_error', options?: ErrorOptions) {
    super(message, options);
    this.name = 'HttpkitError';
    this.code = code;
  }
}

/** Options given in code that cannot work (a body limit that is not a size, a bad port...). */
export class ConfigError extends HttpkitError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'config_error', options);
    this.name = 'ConfigError';
  }
}

/**
 * Throw (or pass to `next`) from a handler to answer with this status as `application/problem+json`.
 * For 4xx the message becomes the problem `detail`; for 5xx it is recorded on the span but never
 * sent to the client.
 */
export class HttpError extends HttpkitError {
  /** HTTP status code of the response, 400–599. */
  readonly status: number;
  constructor(status: number, message: string, options?: ErrorOptions & { code?: string }) {
    super(message, options?.code ?? `http_${status}`, options);
    this.name = 'HttpError';
    this.status = status >= 400 && status <= 599 ? Math.trunc(status) : 500;
  }
}
