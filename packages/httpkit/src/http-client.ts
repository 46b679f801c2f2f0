import { context, createContextKey, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { recordError } from '@service-runtime/observability';
import { resolveTrustedHosts } from './config.ts';
import { httpkitTracer } from './instruments.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  TRACE_HEADERS,
} from './semconv.ts';
import { compileTrustedHosts } from './trusted-hosts.ts';
import type { HttpClientOptions, TracedFetch } from './types.ts';

// `@opentelemetry/core`'s suppress-tracing key: fetch auto-instrumentation (undici) then stays out,
// so it can neither add a second client span nor re-inject trace headers for an untrusted host.
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

const headerSetter = {
  set(carrier: Headers, key: string, value: string): void {
    carrier.set(key, value);
  },
};

/**
 * A traced `fetch`: one CLIENT span per call (child of the active span), `traceparent`,
 * `tracestate` and `baggage` injected only when the target host is trusted and removed otherwise,
 * even when the caller set them. The span is kept either way. Errors and 4xx/5xx set status ERROR.
 */
export function createHttpClient(options: HttpClientOptions = {}): TracedFetch {
  const isTrusted = compileTrustedHosts(resolveTrustedHosts(options.trustedHosts));
  const fetchImpl = options.fetch ?? globalThis.fetch;
  return async function tracedFetch(input, init) {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const method = request.method;
    const parent = context.active();
    const span = httpkitTracer().startSpan(method, { kind: SpanKind.CLIENT }, parent);
    if (span.isRecording()) {
      span.setAttribute(ATTR_HTTP_REQUEST_METHOD, method);
      span.setAttribute(ATTR_URL_FULL, `${url.protocol}//${url.host}${url.pathname}`);
      span.setAttribute(ATTR_SERVER_ADDRESS, url.hostname);
      span.setAttribute(ATTR_SERVER_PORT, Number(url.port || (url.protocol === 'https:' ? 443 : 80)));
    }
    for (const name of TRACE_HEADERS) request.headers.delete(name);
    if (isTrusted(url)) propagation.inject(trace.setSpan(parent, span), request.headers, headerSetter);
    try {
      const response = await context.with(parent.setValue(SUPPRESS_TRACING_KEY, true), () => fetchImpl(request));
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
      if (response.status >= 400) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.setAttribute(ATTR_ERROR_TYPE, String(response.status));
      }
      return response;
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      span.end();
    }
  };
}
