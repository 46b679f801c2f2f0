import type { Counter } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  METRIC_HANDLER_FAILURES,
  METRIC_MESSAGES_DEAD_LETTERED,
  METRIC_MESSAGES_REJECTED,
} from './semconv.ts';
import { getMeter } from './tracer.ts';

let counters: { rejected: Counter; deadLettered: Counter; failures: Counter } | undefined;
let meterOf: unknown;

function get() {
  const meter = getMeter();
  if (counters === undefined || meterOf !== meter) {
    meterOf = meter;
    counters = {
      rejected: meter.createCounter(METRIC_MESSAGES_REJECTED, {
        description:
          'Received messages refused before the handler (bad JSON, not a CloudEvent, bad trace context, validation)',
      }),
      deadLettered: meter.createCounter(METRIC_MESSAGES_DEAD_LETTERED, {
        description: 'Messages republished unchanged to a dead-letter subject',
      }),
      failures: meter.createCounter(METRIC_HANDLER_FAILURES, {
        description: 'Handler errors and timeouts',
      }),
    };
  }
  return counters;
}

/** Counts a refused message by reason. Called on the rare path only. */
export function countRejected(reason: string, subject: string): void {
  get().rejected.add(1, { [ATTR_ERROR_TYPE]: reason, 'messaging.system': 'nats', 'natsbus.subscription': subject });
}

/** Counts a dead-letter copy by reason. */
export function countDeadLettered(reason: string): void {
  get().deadLettered.add(1, { [ATTR_ERROR_TYPE]: reason, 'messaging.system': 'nats' });
}

/** Counts a handler failure (error or timeout). */
export function countHandlerFailure(reason: string): void {
  get().failures.add(1, { [ATTR_ERROR_TYPE]: reason, 'messaging.system': 'nats' });
}
