/** Attribute and instrument names used by identityclient (OpenTelemetry HTTP client conventions plus `identity.*`). */

export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_HTTP_REQUEST_RESEND_COUNT = 'http.request.resend_count';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_URL_FULL = 'url.full';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_USER_ID = 'user.id';
export const ATTR_USER_NAME = 'user.name';

/**
 * `hit` | `miss` | `coalesced` | `stale` (served stale while the identity service was unavailable) |
 * `throttled` (refused by the new-token limit).
 */
export const ATTR_IDENTITY_CACHE = 'identity.cache';
/** The `active` member of the answer. */
export const ATTR_IDENTITY_TOKEN_ACTIVE = 'identity.token.active';
/** `closed` | `open` | `half_open`. */
export const ATTR_IDENTITY_BREAKER_STATE = 'identity.breaker.state';

/** `positive` (active answers) | `negative` (inactive answers): the two bounds of the cache. */
export const ATTR_IDENTITY_CACHE_ENTRY = 'identity.cache.entry';
/** `rate` | `concurrency`: which bound of the new-token limit refused an upstream call. */
export const ATTR_IDENTITY_THROTTLE_LIMIT = 'identity.throttle.limit';
/** `empty` | `too_long` | `malformed`: why a token was refused before any lookup. */
export const ATTR_IDENTITY_TOKEN_REJECTION = 'identity.token.rejection';

/** Span name of an introspection that makes no HTTP call (cache hit, coalesced, breaker open). */
export const SPAN_INTROSPECT = 'identity.introspect';

export const METRIC_INTROSPECTION_DURATION = 'identity.introspection.duration';
export const METRIC_CACHE_LOOKUPS = 'identity.cache.lookups';
export const METRIC_BREAKER_STATE = 'identity.breaker.state';
export const METRIC_BREAKER_TRANSITIONS = 'identity.breaker.transitions';
export const METRIC_CACHE_EVICTIONS = 'identity.cache.evictions';
export const METRIC_CACHE_ENTRIES = 'identity.cache.entries';
export const METRIC_THROTTLED = 'identity.introspection.throttled';
export const METRIC_TOKENS_REJECTED = 'identity.token.rejected';
