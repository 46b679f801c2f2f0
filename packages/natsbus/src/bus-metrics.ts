import { metrics, type Attributes, type Counter } from '@opentelemetry/api';
import { createBoundCounter, type BoundCounterHandle } from '@service-runtime/observability';
import {
  ATTR_ERROR_TYPE,
  METRIC_HANDLER_FAILURES,
  METRIC_MESSAGES_DEAD_LETTERED,
  METRIC_MESSAGES_REJECTED,
  METRIC_TRACE_CONTEXT_IGNORED,
  METRIC_MESSAGES_DROPPED,
  ATTR_NATSBUS_SUBSCRIPTION,
  ATTR_NATSBUS_TRACE_CONTEXT_ISSUE,
} from './semconv.ts';
import type { TraceContextIssue } from './trace-context.ts';
import { SCOPE, SCOPE_VERSION } from './tracer.ts';

let counters: { rejected: Counter; deadLettered: Counter; failures: Counter; traceContext: Counter } | undefined;
let providerOf: unknown;

// Cached per meter provider (as messaging-metrics does), so a flood of drops costs no meter lookup.
function get() {
  const provider = metrics.getMeterProvider();
  if (counters === undefined || providerOf !== provider) {
    providerOf = provider;
    const meter = provider.getMeter(SCOPE, SCOPE_VERSION);
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
      traceContext: meter.createCounter(METRIC_TRACE_CONTEXT_IGNORED, {
        description: 'Received trace contexts ignored or truncated by the W3C rules; the messages were still handled',
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

/** Counts a received trace context that was ignored or cut (rare path). */
export function countTraceContextIssue(issue: TraceContextIssue, subscription: string): void {
  get().traceContext.add(1, {
    [ATTR_NATSBUS_TRACE_CONTEXT_ISSUE]: issue,
    'messaging.system': 'nats',
    'natsbus.subscription': subscription,
  });
}

// Bound: a flood of drops costs no attribute hashing per dropped message.
const dropped = createBoundCounter({ name: SCOPE, version: SCOPE_VERSION }, METRIC_MESSAGES_DROPPED, {
  description: 'Core messages dropped in the process: pending bound full (slow consumer) or drain bound run out',
});
const droppedHandles = new WeakMap<Attributes, BoundCounterHandle>();

/** The attributes of one subscription's drops for one reason; built once, passed to {@link countDropped}. */
export function droppedAttributes(reason: string, subscription: string): Attributes {
  return Object.freeze({
    [ATTR_ERROR_TYPE]: reason,
    'messaging.system': 'nats',
    [ATTR_NATSBUS_SUBSCRIPTION]: subscription,
  });
}

/** Counts core messages dropped in the process (core NATS is at most once). */
export function countDropped(attributes: Attributes, count = 1): void {
  let handle = droppedHandles.get(attributes);
  if (handle === undefined) droppedHandles.set(attributes, (handle = dropped.bind(attributes)));
  handle.add(count);
}
