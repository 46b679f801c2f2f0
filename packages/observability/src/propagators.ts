import type { TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import type { PropagatorName } from './config.ts';

/** One composite propagator from the `OTEL_PROPAGATORS` names, in their order. */
export function createPropagator(names: PropagatorName[]): TextMapPropagator {
  const propagators = names.map((name): TextMapPropagator => {
    switch (name) {
      case 'tracecontext':
        return new W3CTraceContextPropagator();
      case 'baggage':
        return new W3CBaggagePropagator();
      case 'b3':
        return new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER });
      case 'b3multi':
        return new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });
    }
  });
  return new CompositePropagator({ propagators });
}
