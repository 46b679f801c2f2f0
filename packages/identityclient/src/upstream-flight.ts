import { propagation, SpanKind, trace, type Context, type Span } from '@opentelemetry/api';
import { recordError } from '@service-runtime/observability';
import { IdentityUnavailableError } from './errors.ts';
import { exchangeWithRetries } from './introspection-request.ts';
import type { ClientState, Flight } from './internal-types.ts';
import type { NewTokenLimit } from './new-token-limit.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_IDENTITY_CACHE,
  ATTR_IDENTITY_TOKEN_ACTIVE,
  ATTR_URL_FULL,
  ATTR_USER_ID,
  ATTR_USER_NAME,
} from './semconv.ts';
import { getInstruments, getTracer } from './telemetry.ts';
import type { IntrospectionResult } from './types.ts';

const NO_RETRY = { attempts: 0, backoffMs: 0 };

/**
 * Starts the one upstream call for `key`: a CLIENT span under `parent`, the trace context injected
 * explicitly into the request headers, the answer cached and the breaker told before joiners wake.
 */
export function startFlight(
  state: ClientState,
  key: string,
  token: string,
  tokenTypeHint: string | undefined,
  parent: Context,
  admission: { probe: boolean; limit: NewTokenLimit | undefined },
): Flight {
  const { config, plan } = state;
  const span = getTracer().startSpan(
    'POST',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: 'POST',
        ...state.serverAttributes,
        [ATTR_URL_FULL]: plan.urlFull,
        [ATTR_IDENTITY_CACHE]: 'miss',
      },
    },
    parent,
  );
  const headers = { ...plan.headers };
  if (config.propagateTraceContext) {
    const carried = trace.setSpan(parent, span);
    propagation.inject(config.propagateBaggage ? carried : propagation.deleteBaggage(carried), headers);
  }
  const controller = new AbortController();
  const flight: Flight = {
    promise: runFlight(state, key, span, {
      token,
      tokenTypeHint,
      headers,
      signal: controller.signal,
      ...admission,
    }),
    spanContext: span.spanContext(),
    waiters: 0,
    controller,
  };
  flight.promise.catch(() => undefined);
  state.flights.set(key, flight);
  return flight;
}

/** Waits for a flight's answer; aborting `signal` stops only this wait, and cancels the call once nobody waits. */
export function awaitFlight(flight: Flight, signal: AbortSignal | undefined): Promise<IntrospectionResult> {
  flight.waiters += 1;
  if (signal === undefined) return flight.promise;
  return new Promise<IntrospectionResult>((resolve, reject) => {
    const onAbort = () => {
      flight.waiters -= 1;
      if (flight.waiters === 0) flight.controller.abort(signal.reason);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    flight.promise.then(
      (result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** `error.type` of a failure: the status code for a non-200, the reason otherwise. */
export function errorTypeOf(error: IdentityUnavailableError): string {
  return error.reason === 'http_status' && error.status !== undefined ? String(error.status) : error.reason;
}

async function runFlight(
  state: ClientState,
  key: string,
  span: Span,
  request: {
    token: string;
    tokenTypeHint: string | undefined;
    headers: Record<string, string>;
    signal: AbortSignal;
    probe: boolean;
    /** The new-token limit whose slot this call holds, if any. */
    limit: NewTokenLimit | undefined;
  },
): Promise<IntrospectionResult> {
  const { config, plan, cache, breaker } = state;
  const started = performance.now();
  const metricAttributes = { ...state.serverAttributes };
  try {
    const retry = request.probe ? NO_RETRY : config.retry;
    const answer = await exchangeWithRetries(config, plan, request, retry, (error, attempt) => {
      span.addEvent('retry', { [ATTR_ERROR_TYPE]: errorTypeOf(error), [ATTR_HTTP_REQUEST_RESEND_COUNT]: attempt });
    });
    breaker?.onSuccess(request.probe);
    cache?.set(key, answer.result, Date.now());
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, answer.status);
    span.setAttribute(ATTR_IDENTITY_TOKEN_ACTIVE, answer.result.active);
    if (answer.resendCount > 0) span.setAttribute(ATTR_HTTP_REQUEST_RESEND_COUNT, answer.resendCount);
    if (config.recordSubject) recordSubject(span, answer.result);
    Object.assign(metricAttributes, { [ATTR_HTTP_RESPONSE_STATUS_CODE]: answer.status });
    return answer.result;
  } catch (error) {
    recordError(span, error);
    if (!(error instanceof IdentityUnavailableError)) {
      breaker?.onAbandoned(request.probe);
      span.setAttribute(ATTR_ERROR_TYPE, 'aborted');
      Object.assign(metricAttributes, { [ATTR_ERROR_TYPE]: 'aborted' });
      throw error;
    }
    breaker?.onFailure(request.probe);
    const errorType = errorTypeOf(error);
    span.setAttribute(ATTR_ERROR_TYPE, errorType);
    if (error.status !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, error.status);
    Object.assign(metricAttributes, { [ATTR_ERROR_TYPE]: errorType });
    config.logger.warn({ err: error, reason: error.reason, status: error.status }, 'token introspection failed');
    const stale = cache?.getStale(key, Date.now());
    if (stale === undefined) throw error;
    span.setAttribute(ATTR_IDENTITY_CACHE, 'stale');
    span.setAttribute(ATTR_IDENTITY_TOKEN_ACTIVE, true);
    state.lookups.stale.add(1);
    return stale;
  } finally {
    request.limit?.release();
    state.flights.delete(key);
    getInstruments().duration.record((performance.now() - started) / 1000, metricAttributes);
    span.end();
  }
}

/** Adds `user.id`/`user.name` from `sub`/`username`; only called when the deployment opted in. */
export function recordSubject(span: Span, result: IntrospectionResult): void {
  if (result.sub !== undefined) span.setAttribute(ATTR_USER_ID, result.sub);
  if (result.username !== undefined) span.setAttribute(ATTR_USER_NAME, result.username);
}
