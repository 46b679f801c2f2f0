import {
  metrics,
  trace,
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  type Tracer,
} from '@opentelemetry/api';
import {
  METRIC_BREAKER_STATE,
  METRIC_BREAKER_TRANSITIONS,
  METRIC_CACHE_LOOKUPS,
  METRIC_INTROSPECTION_DURATION,
} from './semconv.ts';
import type { BreakerState } from './types.ts';

const SCOPE_NAME = '@service-runtime/identityclient';
const SCOPE_VERSION = '0.1.0';

/** The instruments of the current global meter provider. */
export interface Instruments {
  duration: Histogram;
  lookups: Counter;
  transitions: Counter;
}

/** A breaker as the state gauge sees it. */
export interface BreakerGauge {
  state(): BreakerState;
  readonly attributes: Attributes;
}

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, half_open: 2 };
const gauges = new Set<WeakRef<BreakerGauge>>();
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
  const instruments: Instruments = {
    duration: meter.createHistogram(METRIC_INTROSPECTION_DURATION, {
      description: 'Duration of upstream introspection calls, retries included',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] },
    }),
    lookups: meter.createCounter(METRIC_CACHE_LOOKUPS, {
      description: 'Introspections by how they were answered (identity.cache = hit, miss, coalesced, stale)',
      unit: '{lookup}',
    }),
    transitions: meter.createCounter(METRIC_BREAKER_TRANSITIONS, {
      description: 'Circuit breaker state changes, by the state entered',
      unit: '{transition}',
    }),
  };
  meter
    .createObservableGauge(METRIC_BREAKER_STATE, {
      description: 'Circuit breaker state: 0 closed, 1 open, 2 half-open',
      unit: '{state}',
    })
    .addCallback((result) => {
      for (const ref of gauges) {
        const gauge = ref.deref();
        if (gauge === undefined) gauges.delete(ref);
        else result.observe(STATE_VALUE[gauge.state()], gauge.attributes);
      }
    });
  cached = { provider, instruments };
  return instruments;
}

/** Reports a breaker on the state gauge for as long as it is alive. */
export function registerBreakerGauge(gauge: BreakerGauge): void {
  gauges.add(new WeakRef(gauge));
}
