import type { HrTime } from '@opentelemetry/api';
import { addHrTimes, hrTime, isTimeInputHrTime, millisToHrTime } from '@opentelemetry/core';

/** What a span remembers of the moment it started, to read later times as the SDK's `Span` does. */
export interface SpanStartInstant {
  /** `Date.now()` at the start. */
  readonly epochAtStart: number;
  /** `performance.now()` at the start. */
  readonly performanceAtStart: number;
  /** Whether the start time was given (then an end without a time reads `Date.now()`). */
  readonly startProvided: boolean;
  readonly startTime: HrTime;
}

/**
 * A time input read as the SDK's `Span` reads it: a number at or below `performance.now()` is a
 * performance timestamp, a larger one epoch milliseconds; a Date or an HrTime as is; anything else
 * is now: `Date.now()` when the start was given, else the start plus the monotonic time elapsed.
 */
export function spanTime(input: unknown, span: SpanStartInstant): HrTime {
  if (typeof input === 'number') {
    if (input <= performance.now()) {
      return hrTime(input + span.epochAtStart - (span.performanceAtStart + performance.timeOrigin));
    }
    return millisToHrTime(input);
  }
  if (input instanceof Date) return millisToHrTime(input.getTime());
  if (isTimeInputHrTime(input)) return input as HrTime;
  if (span.startProvided) return millisToHrTime(Date.now());
  return addHrTimes(span.startTime, millisToHrTime(performance.now() - span.performanceAtStart));
}
