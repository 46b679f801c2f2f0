import { readList } from '@service-runtime/observability';

/**
 * The methods the HTTP semantic conventions call known: RFC 9110's, PATCH (RFC 5789) and QUERY
 * (httpbis-safe-method-w-body). Others are recorded as `_OTHER`, so a client cannot mint metric series.
 */
export const DEFAULT_KNOWN_METHODS: readonly string[] = [
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
  'QUERY',
];

/** `http.request.method` of a method that is not in the known list. */
export const OTHER_METHOD = '_OTHER';

/**
 * `OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS` (comma-separated, case-sensitive, a full replacement of
 * the defaults, as the conventions require) over the defaults. Read once per app or client.
 */
export function resolveKnownMethods(): ReadonlySet<string> {
  return new Set(readList('OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS') ?? DEFAULT_KNOWN_METHODS);
}

/** The method as recorded: itself when known (exact, case-sensitive match), else `_OTHER`. */
export function recordedMethod(method: string, known: ReadonlySet<string>): string {
  return known.has(method) ? method : OTHER_METHOD;
}

/** The span-name prefix: the method, or `HTTP` for one recorded as `_OTHER`. */
export function spanMethod(recorded: string): string {
  return recorded === OTHER_METHOD ? 'HTTP' : recorded;
}
