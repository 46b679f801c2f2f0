import { type Histogram, metrics, type Tracer, trace } from '@opentelemetry/api';
import { DURATION_BUCKETS_SECONDS, METRIC_HTTP_SERVER_REQUEST_DURATION, SCOPE_NAME, SCOPE_VERSION } from './semconv.ts';

let tracerProvider: unknown;
let cachedTracer: Tracer | undefined;
let meterProvider: unknown;
let cachedHistogram: Histogram | undefined;

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

/** The `http.server.request.duration` histogram (seconds) of the current global meter provider. */
export function durationHistogram(): Histogram {
  const provider = metrics.getMeterProvider();
  if (provider !== meterProvider || cachedHistogram === undefined) {
    meterProvider = provider;
    cachedHistogram = provider
      .getMeter(SCOPE_NAME, SCOPE_VERSION)
      .createHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, {
        description: 'Duration of HTTP server requests',
        unit: 's',
        advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
      });
  }
  return cachedHistogram;
}
