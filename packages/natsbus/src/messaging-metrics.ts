import { metrics, type Attributes, type Counter, type Histogram } from '@opentelemetry/api';
import {
  METRIC_CLIENT_CONSUMED_MESSAGES,
  METRIC_CLIENT_OPERATION_DURATION,
  METRIC_CLIENT_SENT_MESSAGES,
  METRIC_PROCESS_DURATION,
  MESSAGING_DURATION_BUCKETS,
} from './semconv.ts';
import { SCOPE, SCOPE_VERSION } from './tracer.ts';

interface Instruments {
  operationDuration: Histogram;
  processDuration: Histogram;
  sent: Counter;
  consumed: Counter;
}

let provider: unknown;
let instruments: Instruments | undefined;

/** The messaging semconv instruments of the current global meter provider, created once per provider. */
function get(): Instruments {
  const current = metrics.getMeterProvider();
  if (instruments === undefined || provider !== current) {
    provider = current;
    const meter = current.getMeter(SCOPE, SCOPE_VERSION);
    const advice = { explicitBucketBoundaries: MESSAGING_DURATION_BUCKETS };
    instruments = {
      operationDuration: meter.createHistogram(METRIC_CLIENT_OPERATION_DURATION, {
        description: 'Duration of publish and request operations',
        unit: 's',
        advice,
      }),
      processDuration: meter.createHistogram(METRIC_PROCESS_DURATION, {
        description: 'Duration of processing a delivered message or batch',
        unit: 's',
        advice,
      }),
      sent: meter.createCounter(METRIC_CLIENT_SENT_MESSAGES, {
        description: 'Messages handed to NATS',
        unit: '{message}',
      }),
      consumed: meter.createCounter(METRIC_CLIENT_CONSUMED_MESSAGES, {
        description: 'Messages delivered to natsbus, refused ones included',
        unit: '{message}',
      }),
    };
  }
  return instruments;
}

/** Records one publish or request: its duration and one sent message (with `error.type` when it failed). */
export function recordSent(attributes: Attributes, seconds: number): void {
  const { operationDuration, sent } = get();
  operationDuration.record(seconds, attributes);
  sent.add(1, attributes);
}

/** Records the processing of `messages` delivered messages (one, or a batch) that took `seconds`. */
export function recordProcessed(attributes: Attributes, seconds: number, messages: number): void {
  const { processDuration, consumed } = get();
  processDuration.record(seconds, attributes);
  consumed.add(messages, attributes);
}
