import {
  metrics,
  trace,
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  type Tracer,
} from '@opentelemetry/api';
import { createBoundCounter } from '@service-runtime/observability';
import type { EntryKind } from './introspection-cache.ts';
import {
  ATTR_IDENTITY_CACHE_ENTRY,
  METRIC_BREAKER_STATE,
  METRIC_BREAKER_TRANSITIONS,
  METRIC_CACHE_ENTRIES,
  METRIC_CACHE_EVICTIONS,
  METRIC_CACHE_LOOKUPS,
  METRIC_INTROSPECTION_DURATION,
  METRIC_THROTTLED,
  METRIC_TOKENS_REJECTED,
} from './semconv.ts';
import type { BreakerState } from './types.ts';

const SCOPE_NAME = '@service-runtime/identityclient';
const SCOPE_VERSION = '0.1.0';

/**
 * `identity.cache.lookups`, counted on every introspection (a cache hit included): bound once per
 * client and outcome, so a hit pays no attribute hashing under observability's meter provider.
 */
export const lookupsCounter = createBoundCounter({ name: SCOPE_NAME, version: SCOPE_VERSION }, METRIC_CACHE_LOOKUPS, {
  description: 'Introspections by how they were answered (identity.cache = hit, miss, coalesced, stale, throttled)',
  unit: '{lookup}',
});

/** The instruments of the current global meter provider. */
export interface Instruments {
  duration: Histogram;
  transitions: Counter;
  evictions: Counter;
  throttled: Counter;
  rejected: Counter;
}

/** What the gauges read from one live client. */
export interface ClientGauges {
  /** undefined when the client has no breaker. */
  breakerState(): BreakerState | undefined;
  /** undefined when the client has no cache. */
  cacheSizes(): Readonly<Record<EntryKind, number>> | undefined;
  readonly attributes: Attributes;
}

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, half_open: 2 };
const clients = new Set<WeakRef<ClientGauges>>();
let cached: { provider: MeterProvider; instruments: Instruments } | undefined;

/** The tracer, looked up per call so init may happen before or after this package is imported. */
export function getTracer(): Tracer {
  return trace.getTracer(SCOPE_NAME, SCOPE_VERSION);
}

/** Instruments for the global meter provider, rebuilt when it changes (the metrics API has no proxy). */
export function getInstruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (cached?.provider === provider) return cached.instruments;
  const meter = provider.getMeter(SCOPE_NAME, SCOPE_VERSION);
  const counter = (name: string, description: string, unit: string) => meter.createCounter(name, { description, unit });
  const instruments: Instruments = {
    duration: meter.createHistogram(METRIC_INTROSPECTION_DURATION, {
      description: 'Duration of upstream introspection calls, retries included',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] },
    }),
    transitions: counter(
      METRIC_BREAKER_TRANSITIONS,
      'Circuit breaker state changes, by the state entered',
      '{transition}',
    ),
    evictions: counter(
      METRIC_CACHE_EVICTIONS,
      'Cache entries evicted to make room, by identity.cache.entry (positive, negative)',
      '{entry}',
    ),
    throttled: counter(
      METRIC_THROTTLED,
      'Upstream calls for new tokens refused by the new-token limit, by identity.throttle.limit (rate, concurrency)',
      '{call}',
    ),
    rejected: counter(
      METRIC_TOKENS_REJECTED,
      'Tokens refused before any lookup, by identity.token.rejection (empty, too_long, malformed)',
      '{token}',
    ),
  };
  const live = function* () {
    for (const ref of clients) {
      const client = ref.deref();
      if (client === undefined) clients.delete(ref);
      else yield client;
    }
  };
  meter
    .createObservableGauge(METRIC_BREAKER_STATE, {
      description: 'Circuit breaker state: 0 closed, 1 open, 2 half-open',
      unit: '{state}',
    })
    .addCallback((result) => {
      for (const client of live()) {
        const state = client.breakerState();
        if (state !== undefined) result.observe(STATE_VALUE[state], client.attributes);
      }
    });
  meter
    .createObservableUpDownCounter(METRIC_CACHE_ENTRIES, {
      description: 'Entries held by the introspection cache, by identity.cache.entry (positive, negative)',
      unit: '{entry}',
    })
    .addCallback((result) => {
      for (const client of live()) {
        const sizes = client.cacheSizes();
        if (sizes === undefined) continue;
        for (const kind of ['positive', 'negative'] as const)
          result.observe(sizes[kind], { ...client.attributes, [ATTR_IDENTITY_CACHE_ENTRY]: kind });
      }
    });
  cached = { provider, instruments };
  return instruments;
}

/** Reports a client on the breaker-state and cache-entries gauges for as long as it is alive. */
export function registerClientGauges(client: ClientGauges): void {
  clients.add(new WeakRef(client));
}
