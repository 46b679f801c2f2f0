import { type Histogram, metrics, type Tracer, trace } from '@opentelemetry/api';
import { createBoundHistogram } from '@service-runtime/observability';
import {
  DURATION_BUCKETS_SECONDS,
  METRIC_HTTP_CLIENT_REQUEST_DURATION,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
  SCOPE_NAME,
  SCOPE_VERSION,
} from './semconv.ts';

let tracerProvider: unknown;
let cachedTracer: Tracer | undefined;

/**
 * httpkit's tracer from the current global provider. Cached per provider, so init before or after
 * import both work and a request pays one identity check instead of a name-keyed lookup.
 */
export function httpkitTracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (provider !== tracerProvider || cachedTracer === undefined) {
    tracerProvider = provider;
    cachedTracer = provider.getTracer(SCOPE_NAME, SCOPE_VERSION);
  }
  return cachedTracer;
}

/** A duration histogram (seconds) of the current global meter provider, made once per provider. */
function durationHistogramOf(name: string, description: string): () => Histogram {
  let provider: unknown;
  let histogram: Histogram | undefined;
  return () => {
    const current = metrics.getMeterProvider();
    if (current !== provider || histogram === undefined) {
      provider = current;
      histogram = current.getMeter(SCOPE_NAME, SCOPE_VERSION).createHistogram(name, {
        description,
        unit: 's',
        advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
      });
    }
    return histogram;
  };
}

/**
 * The `http.server.request.duration` histogram (seconds), bound per attribute set: no attribute
 * hashing per request under observability's meter provider, the API histogram under any other.
 */
export const durationHistogram = createBoundHistogram(
  { name: SCOPE_NAME, version: SCOPE_VERSION },
  METRIC_HTTP_SERVER_REQUEST_DURATION,
  {
    description: 'Duration of HTTP server requests',
    unit: 's',
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
  },
);

/** The `http.client.request.duration` histogram (seconds): each request of the traced fetch. */
export const clientDurationHistogram = durationHistogramOf(
  METRIC_HTTP_CLIENT_REQUEST_DURATION,
  'Duration of HTTP client requests',
);
