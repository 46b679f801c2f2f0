/** Why the identity service could not answer. */
export type UnavailableReason =
  'timeout' | 'network' | 'http_status' | 'malformed_response' | 'breaker_open' | 'credentials' | 'throttled';

/** Why a token was refused. */
export type InvalidTokenReason =
  'malformed' | 'too_long' | 'inactive' | 'expired' | 'not_yet_valid' | 'audience' | 'issuer';

/** What the identity service sent, kept off the enumerable properties so it never lands in a log. */
export interface RawResponse {
  status: number;
  contentType: string | null;
}

/**
 * The identity service gave no usable answer: timeout, network error, a non-200 status (RFC 7662:
 * an outage, never an invalid token), a malformed body, or the breaker is open. Maps to 503.
 */
export class IdentityUnavailableError extends Error {
  /** Stable across releases; `reason` says which failure. */
  readonly code = 'IDENTITY_UNAVAILABLE';
  readonly reason: UnavailableReason;
  /** HTTP status of the answer, when there was one. */
  readonly status: number | undefined;
  /** When a retry may succeed, for `Retry-After`. */
  readonly retryAfterSeconds: number;
  declare readonly response: RawResponse | undefined;

  constructor(
    message: string,
    details: { reason: UnavailableReason; status?: number; retryAfterSeconds?: number; response?: RawResponse },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'IdentityUnavailableError';
    this.reason = details.reason;
    this.status = details.status;
    this.retryAfterSeconds = details.retryAfterSeconds ?? 1;
    Object.defineProperty(this, 'response', { value: details.response, enumerable: false });
  }
}

/** The token is not acceptable: malformed, too long, inactive, expired, not yet valid, or for another audience or issuer. Maps to 401. */
export class InvalidTokenError extends Error {
  /** Stable across releases; `reason` says which check failed. */
  readonly code = 'INVALID_TOKEN';
  readonly reason: InvalidTokenReason;

  constructor(message: string, reason: InvalidTokenReason, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidTokenError';
    this.reason = reason;
  }
}

/** The token is valid but lacks required scopes. Maps to 403 `insufficient_scope`. */
export class InsufficientScopeError extends Error {
  /** Stable across releases. */
  readonly code = 'INSUFFICIENT_SCOPE';
  /** Every scope the resource requires (the `scope` attribute of `WWW-Authenticate`). */
  readonly requiredScopes: readonly string[];
  /** The required scopes the token does not carry. */
  readonly missingScopes: readonly string[];

  constructor(requiredScopes: readonly string[], missingScopes: readonly string[], options?: ErrorOptions) {
    super(`token lacks required scope: ${missingScopes.join(' ')}`, options);
    this.name = 'InsufficientScopeError';
    this.requiredScopes = requiredScopes;
    this.missingScopes = missingScopes;
  }
}

/** The client cannot be built: no introspection URL or no credentials. Raised at creation, never per call. */
export class IdentityConfigError extends Error {
  /** Stable across releases. */
  readonly code = 'IDENTITY_CONFIG';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'IdentityConfigError';
  }
}
