/**
 * Attribute, metric and header names httpkit writes, from the OpenTelemetry HTTP semantic
 * conventions (stable), kept here so every file spells them the same way.
 */

/** `http.request.method` */
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
/** `http.request.method_original`: the method as sent, when it is recorded as `_OTHER`. */
export const ATTR_HTTP_REQUEST_METHOD_ORIGINAL = 'http.request.method_original';
/** `http.request.resend_count`: which redirect hop (or retry) a client span is, from 1. */
export const ATTR_HTTP_REQUEST_RESEND_COUNT = 'http.request.resend_count';
/** `http.route`: the matched route template, never the raw path. */
export const ATTR_HTTP_ROUTE = 'http.route';
/** `http.response.status_code` */
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
/** `url.path`: the path without the query string. */
export const ATTR_URL_PATH = 'url.path';
/** `url.scheme` */
export const ATTR_URL_SCHEME = 'url.scheme';
/** `url.full` on client spans, without userinfo or query. */
export const ATTR_URL_FULL = 'url.full';
/** `server.address` */
export const ATTR_SERVER_ADDRESS = 'server.address';
/** `server.port` */
export const ATTR_SERVER_PORT = 'server.port';
/** `client.address` */
export const ATTR_CLIENT_ADDRESS = 'client.address';
/** `user_agent.original` */
export const ATTR_USER_AGENT_ORIGINAL = 'user_agent.original';
/** `network.protocol.version`: `1.1`, `2`... */
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version';
/** `error.type` */
export const ATTR_ERROR_TYPE = 'error.type';

/** Server request duration histogram, in seconds. */
export const METRIC_HTTP_SERVER_REQUEST_DURATION = 'http.server.request.duration';
/** Client request duration histogram (the traced fetch), in seconds. */
export const METRIC_HTTP_CLIENT_REQUEST_DURATION = 'http.client.request.duration';
/** Bucket boundaries the HTTP semantic conventions advise for request durations (seconds). */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** `error.type` of a request whose client went away before the response was sent. */
export const ERROR_TYPE_ABORTED = 'aborted';

/** W3C trace context and baggage headers, stripped on calls across the trust boundary. */
export const TRACE_HEADERS: readonly string[] = ['traceparent', 'tracestate', 'baggage'];
/** Request id header: accepted from the client when well-formed, always echoed. */
export const HEADER_REQUEST_ID = 'x-request-id';

/** Instrumentation scope of httpkit's tracer and meter. */
export const SCOPE_NAME = '@service-runtime/httpkit';
/** Version reported with the instrumentation scope. */
export const SCOPE_VERSION = '0.1.0';
