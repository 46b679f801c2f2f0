import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { recordError } from '@service-runtime/observability';
import { resolveTrustedHosts } from './config.ts';
import { OTHER_METHOD, recordedMethod, resolveKnownMethods, spanMethod } from './http-method.ts';
import { clientDurationHistogram, httpkitTracer } from './instruments.ts';
import {
  type Hop,
  isRedirect,
  MAX_REDIRECTS,
  nextHop,
  type RequestBody,
  resendableBody,
  UNSENDABLE,
} from './redirect.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  TRACE_HEADERS,
} from './semconv.ts';
import { compileTrustedHosts, type HostMatcher } from './trusted-hosts.ts';
import type { HttpClientOptions, TracedFetch } from './types.ts';

// `@opentelemetry/core`'s suppress-tracing key: fetch auto-instrumentation (undici) then stays out,
// so it can neither add a second client span nor re-inject trace headers for an untrusted host.
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

const headerSetter = {
  set(carrier: Headers, key: string, value: string): void {
    carrier.set(key, value);
  },
};

/** What every hop of one client needs. */
interface ClientSettings {
  isTrusted: HostMatcher;
  knownMethods: ReadonlySet<string>;
  fetchImpl: typeof fetch;
}

/**
 * A traced `fetch`: one CLIENT span per request (child of the active span), `traceparent`,
 * `tracestate` and `baggage` injected only when the target host is trusted and removed otherwise,
 * even when the caller set them. Redirects are followed here (at most 20), trust decided again for
 * every hop, and a hop to another origin loses `authorization` and `cookie`. Errors (not a call the
 * caller aborted) and 4xx/5xx set status ERROR; each request is recorded in `http.client.request.duration`.
 */
export function createHttpClient(options: HttpClientOptions = {}): TracedFetch {
  const settings: ClientSettings = {
    isTrusted: compileTrustedHosts(resolveTrustedHosts(options.trustedHosts)),
    knownMethods: resolveKnownMethods(),
    fetchImpl: options.fetch ?? globalThis.fetch,
  };
  return async function tracedFetch(input, init) {
    const request = new Request(input, init);
    const parent = context.active();
    const mode = request.redirect;
    let hop: Hop = {
      url: new URL(request.url),
      method: request.method,
      headers: request.headers,
      // A body that came inside a Request (a stream once read) cannot be sent a second time.
      body: request.body === null ? null : init?.body != null ? resendableBody(init.body) : UNSENDABLE,
    };
    // The caller's request goes out first (its body is read once); later hops are built from `hop`.
    let next: Request = new Request(request, { redirect: 'manual' });
    for (let count = 0; ; count++) {
      const current = hop;
      // Decided while the hop's span is open, so a redirect that ends the call fails that span.
      const { response, following } = await send(settings, parent, current, count, next, (answer) => {
        if (mode === 'manual' || !isRedirect(answer)) return undefined;
        if (mode === 'error') throw new TypeError('fetch failed: unexpected redirect');
        if (count >= MAX_REDIRECTS) throw new TypeError(`fetch failed: more than ${MAX_REDIRECTS} redirects`);
        return nextHop(current, answer);
      });
      if (following === undefined) return response;
      await response.body?.cancel();
      hop = following;
      next = new Request(hop.url, {
        method: hop.method,
        headers: hop.headers,
        body: hop.body as RequestBody | null,
        redirect: 'manual',
        signal: request.signal,
      });
    }
  };
}

/**
 * One request on the wire: its span, its trace headers (trusted hosts only), its duration. `follow`
 * names the redirect to follow, or throws when the answer ends the call (its span then fails too).
 */
async function send(
  settings: ClientSettings,
  parent: Context,
  hop: Hop,
  resendCount: number,
  request: Request,
  follow: (response: Response) => Hop | undefined,
): Promise<{ response: Response; following: Hop | undefined }> {
  const url = hop.url;
  const method = recordedMethod(hop.method, settings.knownMethods);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const metric: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_SERVER_ADDRESS]: url.hostname,
    [ATTR_SERVER_PORT]: port,
  };
  const attributes: Attributes = { ...metric, [ATTR_URL_FULL]: `${url.protocol}//${url.host}${url.pathname}` };
  if (method === OTHER_METHOD) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = hop.method;
  if (resendCount > 0) attributes[ATTR_HTTP_REQUEST_RESEND_COUNT] = resendCount;
  const span = httpkitTracer().startSpan(spanMethod(method), { kind: SpanKind.CLIENT, attributes }, parent);
  for (const name of TRACE_HEADERS) request.headers.delete(name);
  if (settings.isTrusted(url)) propagation.inject(trace.setSpan(parent, span), request.headers, headerSetter);
  const start = performance.now();
  let response: Response | undefined;
  try {
    response = await context.with(parent.setValue(SUPPRESS_TRACING_KEY, true), () => settings.fetchImpl(request));
    metric[ATTR_HTTP_RESPONSE_STATUS_CODE] = response.status;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
    if (response.status >= 400) markFailed(span, metric, String(response.status));
    return { response, following: follow(response) };
  } catch (error) {
    response?.body?.cancel().catch(() => undefined);
    // The HTTP conventions: a call the caller cancelled is not an error (a timeout still is).
    if (!cancelledByCaller(request.signal)) {
      recordError(span, error);
      metric[ATTR_ERROR_TYPE] = (error as Error)?.name ?? 'Error';
    }
    throw error;
  } finally {
    span.end();
    clientDurationHistogram().record((performance.now() - start) / 1000, metric);
  }
}

function markFailed(span: Span, metric: Attributes, errorType: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.setAttribute(ATTR_ERROR_TYPE, errorType);
  metric[ATTR_ERROR_TYPE] = errorType;
}

function cancelledByCaller(signal: AbortSignal): boolean {
  return signal.aborted && (signal.reason as { name?: unknown } | undefined)?.name !== 'TimeoutError';
}
