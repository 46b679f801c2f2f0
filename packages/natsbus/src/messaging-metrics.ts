import { metrics, type Attributes, type ObservableResult } from '@opentelemetry/api';
import { createBoundHistogram, type BoundHistogramHandle } from '@service-runtime/observability';
import {
  ATTR_ERROR_TYPE,
  METRIC_CLIENT_CONSUMED_MESSAGES,
  METRIC_CLIENT_OPERATION_DURATION,
  METRIC_CLIENT_SENT_MESSAGES,
  METRIC_PROCESS_DURATION,
  MESSAGING_DURATION_BUCKETS,
} from './semconv.ts';
import { SCOPE, SCOPE_VERSION } from './tracer.ts';

/**
 * One attribute set of the message counters and its running total, and its duration histogram
 * handle. The counters are observable: a message adds to `total` (no SDK call, no attribute hashing
 * on the hot path) and the meter reads the totals when it collects; the duration is recorded
 * through a handle bound to the set once.
 */
export interface MessageTally {
  readonly attributes: Attributes;
  total: number;
  /** The same attributes with `error.type`, by error type (failures are rare). */
  readonly failed: Map<string, MessageTally>;
  /** The tallies this one counts among (its bound covers the failure sets too). */
  readonly family: TallyFamily;
  /** The operation or process duration bound to `attributes`, bound at the first record. */
  duration?: BoundHistogramHandle;
}

/** The tallies of one counter and how many attribute sets they hold, failure sets included. */
export interface TallyFamily {
  readonly tallies: Map<string, MessageTally>;
  sets: number;
  overflow?: MessageTally;
}

/**
 * Attribute sets a counter observes, the `otel.metric.overflow` set included: within the SDK's
 * cardinality limit (sdk-metrics 3.1 keeps 1,999 sets per collection and folds the rest into its
 * overflow set, where an observable counter keeps one of the folded values, not their sum). Past it,
 * messages of new sets count in our one overflow set, never lost.
 */
const MAX_SETS = 1999;
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });
const sent: TallyFamily = { tallies: new Map(), sets: 0 };
const consumed: TallyFamily = { tallies: new Map(), sets: 0 };

function tally(family: TallyFamily, attributes: Attributes): MessageTally {
  const key = JSON.stringify(attributes);
  let found = family.tallies.get(key);
  if (found === undefined) {
    if (family.sets >= MAX_SETS - 1) return overflowOf(family);
    found = { attributes, total: 0, failed: new Map(), family };
    family.tallies.set(key, found);
    family.sets++;
  }
  return found;
}

function overflowOf(family: TallyFamily): MessageTally {
  return (family.overflow ??= { attributes: OVERFLOW_ATTRIBUTES, total: 0, failed: new Map(), family });
}

/** The tally of messages sent with `attributes` (built once per attribute set by the caller). */
export function sentTally(attributes: Attributes): MessageTally {
  return tally(sent, attributes);
}

/** The tally of messages consumed with `attributes`. */
export function consumedTally(attributes: Attributes): MessageTally {
  return tally(consumed, attributes);
}

function failedTally(of: MessageTally, errorType: string): MessageTally {
  let found = of.failed.get(errorType);
  if (found === undefined) {
    const family = of.family;
    // the overflow set carries no other attribute, error.type included
    if (of.attributes === OVERFLOW_ATTRIBUTES || family.sets >= MAX_SETS - 1) return overflowOf(family);
    found = { attributes: { ...of.attributes, [ATTR_ERROR_TYPE]: errorType }, total: 0, failed: new Map(), family };
    of.failed.set(errorType, found);
    family.sets++;
  }
  return found;
}

function observeAll(result: ObservableResult, family: TallyFamily): void {
  for (const t of family.tallies.values()) {
    if (t.total > 0) result.observe(t.total, t.attributes);
    for (const f of t.failed.values()) result.observe(f.total, f.attributes);
  }
  if (family.overflow !== undefined) result.observe(family.overflow.total, OVERFLOW_ATTRIBUTES);
}

const scope = { name: SCOPE, version: SCOPE_VERSION };
const advice = { explicitBucketBoundaries: MESSAGING_DURATION_BUCKETS };
// Bound histograms: no attribute hashing per message under observability's meter provider.
const operationDuration = createBoundHistogram(scope, METRIC_CLIENT_OPERATION_DURATION, {
  description: 'Duration of publish and request operations',
  unit: 's',
  advice,
});
const processDuration = createBoundHistogram(scope, METRIC_PROCESS_DURATION, {
  description: 'Duration of processing a delivered message or batch',
  unit: 's',
  advice,
});

let provider: unknown;

/** Registers the observable message counters on the current global meter provider, once per provider. */
function observeCounters(): void {
  const current = metrics.getMeterProvider();
  if (provider !== current) {
    provider = current;
    const meter = current.getMeter(SCOPE, SCOPE_VERSION);
    meter
      .createObservableCounter(METRIC_CLIENT_SENT_MESSAGES, {
        description: 'Messages handed to NATS',
        unit: '{message}',
      })
      .addCallback((result) => observeAll(result, sent));
    meter
      .createObservableCounter(METRIC_CLIENT_CONSUMED_MESSAGES, {
        description: 'Messages delivered to natsbus, refused ones included',
        unit: '{message}',
      })
      .addCallback((result) => observeAll(result, consumed));
  }
}

/** How a metered span records itself when it ends. */
export type RecordOperation = (
  counted: MessageTally,
  seconds: number,
  errorType: string | undefined,
  messages: number,
) => void;

/** Records publishes or requests: their duration, and the messages sent (by `error.type` when failed). */
export const recordSent: RecordOperation = (counted, seconds, errorType, messages) => {
  const target = errorType === undefined ? counted : failedTally(counted, errorType);
  observeCounters();
  (target.duration ??= operationDuration.bind(target.attributes)).record(seconds);
  target.total += messages;
};

/** Records the processing of `messages` delivered messages (one, or a batch) that took `seconds`. */
export const recordProcessed: RecordOperation = (counted, seconds, errorType, messages) => {
  const target = errorType === undefined ? counted : failedTally(counted, errorType);
  observeCounters();
  (target.duration ??= processDuration.bind(target.attributes)).record(seconds);
  target.total += messages;
};
