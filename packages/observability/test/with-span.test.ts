import { SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { withSpan } from '../src/with-span.ts';
import { getTraceIds } from '../src/trace-ids.ts';
import { setupTestTelemetry } from '../src/testing.ts';

const telemetry = setupTestTelemetry();
beforeEach(() => telemetry.reset());
afterAll(() => telemetry.shutdown());

describe('withSpan', () => {
  it('returns a sync result, makes the span active inside fn, and ends it', () => {
    let inside: string | undefined;
    const result = withSpan('sync-ok', (span) => {
      inside = trace.getActiveSpan()?.spanContext().spanId;
      expect(span.spanContext().spanId).toBe(inside);
      return 42;
    });
    expect(result).toBe(42);
    const [span] = telemetry.spans();
    expect(span?.name).toBe('sync-ok');
    expect(span?.spanContext().spanId).toBe(inside);
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('records a synchronous throw, sets ERROR with the message, ends the span and rethrows', () => {
    const boom = new TypeError('sync boom');
    expect(() =>
      withSpan('sync-throw', () => {
        throw boom;
      }),
    ).toThrow(boom);
    const [span] = telemetry.spans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'sync boom' });
    expect(span?.events.map((e) => e.name)).toEqual(['exception']);
    expect(span?.events[0]?.attributes?.['exception.type']).toBe('TypeError');
    expect(span?.attributes['error.type']).toBe('TypeError');
    expect(span?.ended).toBe(true);
  });

  it('awaits an async fn and keeps children inside the span', async () => {
    const value = await withSpan('async-ok', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      withSpan('child', () => undefined);
      return 'done';
    });
    expect(value).toBe('done');
    const spans = telemetry.spans();
    const parent = spans.find((s) => s.name === 'async-ok');
    const child = spans.find((s) => s.name === 'child');
    expect(child?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
    expect(child?.spanContext().traceId).toBe(parent?.spanContext().traceId);
  });

  it('records an async rejection with ERROR status and the error code as error.type', async () => {
    const error = Object.assign(new Error('upstream down'), { code: 'ECONNREFUSED' });
    await expect(
      withSpan('async-reject', async () => {
        await Promise.resolve();
        throw error;
      }),
    ).rejects.toBe(error);
    const [span] = telemetry.spans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'upstream down' });
    expect(span?.attributes['error.type']).toBe('ECONNREFUSED');
    expect(span?.ended).toBe(true);
  });

  it('wraps a non-Error rejection', async () => {
    await expect(withSpan('reject-string', () => Promise.reject('plain'))).rejects.toBe('plain');
    expect(telemetry.spans()[0]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'plain' });
  });

  it('exposes the ids of the active span for loggers', () => {
    expect(getTraceIds()).toEqual({});
    withSpan('ids', (span) => {
      expect(getTraceIds()).toEqual({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
    });
  });
});
