import { context, SpanKind, trace, type Attributes, type Span } from '@opentelemetry/api';
import { recordError } from '@service-runtime/observability';
import { CircuitBreaker } from './circuit-breaker.ts';
import { resolveConfig } from './config.ts';
import { IdentityUnavailableError } from './errors.ts';
import { IntrospectionCache, tokenKey, type EntryKind } from './introspection-cache.ts';
import { createRequestPlan } from './introspection-request.ts';
import type { ClientState, Flight } from './internal-types.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_IDENTITY_BREAKER_STATE,
  ATTR_IDENTITY_CACHE,
  ATTR_IDENTITY_CACHE_ENTRY,
  ATTR_IDENTITY_TOKEN_ACTIVE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  SPAN_INTROSPECT,
} from './semconv.ts';
import { NewTokenLimit } from './new-token-limit.ts';
import { getInstruments, getTracer, lookupsCounter, registerClientGauges, type ClientGauges } from './telemetry.ts';
import { createThrottling, rejectedToken, throttled } from './token-refusals.ts';
import { isB64Token, screenTokenLength } from './token-screen.ts';
import type { IdentityClient, IdentityClientOptions, IntrospectionResult, IntrospectOptions } from './types.ts';
import { awaitFlight, errorTypeOf, recordSubject, startFlight } from './upstream-flight.ts';

/**
 * Creates an RFC 7662 introspection client: answers come from a SHA-256-keyed cache, from a call
 * already in flight for the same token (single-flight), or from one traced upstream call guarded by
 * timeouts, retries and a circuit breaker. `IDENTITY_*` env overrides `options`.
 */
export function createIdentityClient(options: IdentityClientOptions = {}): IdentityClient {
  const config = resolveConfig(options);
  const plan = createRequestPlan(config);
  const serverAttributes: Attributes = {
    [ATTR_SERVER_ADDRESS]: plan.serverAddress,
    [ATTR_SERVER_PORT]: plan.serverPort,
  };
  const breaker = config.breaker
    ? new CircuitBreaker(config.breaker, (to, from) => {
        getInstruments().transitions.add(1, { ...serverAttributes, [ATTR_IDENTITY_BREAKER_STATE]: to });
        const log = to === 'open' ? config.logger.warn : config.logger.info;
        log.call(config.logger, { breaker: { from, to } }, `identity service circuit breaker ${to}`);
      })
    : undefined;
  const evictionAttributes = {
    positive: { ...serverAttributes, [ATTR_IDENTITY_CACHE_ENTRY]: 'positive' },
    negative: { ...serverAttributes, [ATTR_IDENTITY_CACHE_ENTRY]: 'negative' },
  };
  const onEvict = (kind: EntryKind) => getInstruments().evictions.add(1, evictionAttributes[kind]);
  const state: ClientState = {
    config,
    plan,
    cache: config.cache ? new IntrospectionCache(config.cache, config.staleIfErrorMs, onEvict) : undefined,
    breaker,
    newTokenLimit: config.newTokenLimit ? new NewTokenLimit(config.newTokenLimit) : undefined,
    throttling: createThrottling(config.logger, serverAttributes),
    flights: new Map<string, Flight>(),
    serverAttributes,
    lookups: {
      hit: lookupsCounter.bind({ ...serverAttributes, [ATTR_IDENTITY_CACHE]: 'hit' }),
      miss: lookupsCounter.bind({ ...serverAttributes, [ATTR_IDENTITY_CACHE]: 'miss' }),
      coalesced: lookupsCounter.bind({ ...serverAttributes, [ATTR_IDENTITY_CACHE]: 'coalesced' }),
      stale: lookupsCounter.bind({ ...serverAttributes, [ATTR_IDENTITY_CACHE]: 'stale' }),
      throttled: lookupsCounter.bind({ ...serverAttributes, [ATTR_IDENTITY_CACHE]: 'throttled' }),
    },
  };
  const gauges: ClientGauges = {
    breakerState: () => breaker?.state,
    cacheSizes: () => state.cache?.sizes,
    attributes: serverAttributes,
  };
  registerClientGauges(gauges);

  return {
    introspect: (token, introspectOptions = {}) => introspect(state, token, introspectOptions),
    evict: (token) => state.cache?.delete(tokenKey(token)),
    clearCache: () => state.cache?.clear(),
    get breakerState() {
      return gauges.breakerState() ?? 'closed';
    },
    maxTokenLength: config.maxTokenLength,
  };
}

async function introspect(state: ClientState, token: string, options: IntrospectOptions): Promise<IntrospectionResult> {
  const rejection = screenTokenLength(token, state.config.maxTokenLength);
  if (rejection !== undefined) throw rejectedToken(rejection, state.config.maxTokenLength);
  options.signal?.throwIfAborted();
  const key = tokenKey(token);
  const { cache, flights, breaker } = state;
  const { lookups } = state;

  const cached = cache?.get(key, Date.now());
  if (cached !== undefined) {
    lookups.hit.add(1);
    const active = trace.getActiveSpan();
    if (active?.isRecording()) {
      active.setAttribute(ATTR_IDENTITY_CACHE, 'hit');
      active.setAttribute(ATTR_IDENTITY_TOKEN_ACTIVE, cached.active);
      if (state.config.recordSubject) recordSubject(active, cached);
    }
    return cached;
  }

  const inFlight = flights.get(key);
  if (inFlight !== undefined) {
    lookups.coalesced.add(1);
    const span = startLocalSpan(state, 'coalesced', inFlight);
    return settleLocalSpan(state, span, awaitFlight(inFlight, options.signal));
  }

  // Cached and in-flight tokens passed this scan when they were first seen; only a miss pays for it.
  if (!isB64Token(token)) throw rejectedToken('malformed', state.config.maxTokenLength);
  // A token with no active answer held (never seen, or only inactive) needs a slot of the new-token limit.
  const limit = cache?.isKnown(key) === false ? state.newTokenLimit : undefined;
  const refusal = limit?.acquire();
  if (refusal !== undefined) return throttled(state, refusal);
  lookups.miss.add(1);
  const admission = breaker?.admit() ?? { allowed: true, probe: false };
  if (!admission.allowed) {
    limit?.release();
    return breakerRejected(state, key, admission.retryAfterMs);
  }
  const flight = startFlight(state, key, token, options.tokenTypeHint, context.active(), {
    probe: admission.probe,
    limit,
  });
  return awaitFlight(flight, options.signal);
}

/** Fails fast while the breaker is open, unless stale-if-error has a usable answer. */
function breakerRejected(state: ClientState, key: string, retryAfterMs: number): IntrospectionResult {
  const span = startLocalSpan(state, 'miss');
  try {
    const stale = state.cache?.getStale(key, Date.now());
    if (stale !== undefined) {
      span.setAttribute(ATTR_IDENTITY_CACHE, 'stale');
      span.setAttribute(ATTR_IDENTITY_TOKEN_ACTIVE, true);
      state.lookups.stale.add(1);
      return stale;
    }
    const error = new IdentityUnavailableError('identity service circuit breaker is open', {
      reason: 'breaker_open',
      retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    });
    recordError(span, error);
    span.setAttribute(ATTR_ERROR_TYPE, errorTypeOf(error));
    throw error;
  } finally {
    span.end();
  }
}

/** An INTERNAL span for a coalesced or fail-fast introspection; a joiner links to the CLIENT span it waits on. */
function startLocalSpan(state: ClientState, cache: 'miss' | 'coalesced', flight?: Flight): Span {
  return getTracer().startSpan(SPAN_INTROSPECT, {
    kind: SpanKind.INTERNAL,
    attributes: { ...state.serverAttributes, [ATTR_IDENTITY_CACHE]: cache },
    ...(flight ? { links: [{ context: flight.spanContext }] } : {}),
  });
}

async function settleLocalSpan(
  state: ClientState,
  span: Span,
  answer: Promise<IntrospectionResult>,
): Promise<IntrospectionResult> {
  try {
    const result = await answer;
    span.setAttribute(ATTR_IDENTITY_TOKEN_ACTIVE, result.active);
    if (state.config.recordSubject) recordSubject(span, result);
    return result;
  } catch (error) {
    recordError(span, error);
    if (error instanceof IdentityUnavailableError) span.setAttribute(ATTR_ERROR_TYPE, errorTypeOf(error));
    throw error;
  } finally {
    span.end();
  }
}
