import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { completeEvent } from '../src/envelope.ts';
import { PublishError } from '../src/errors.ts';
import { checkPublishedEvent } from '../src/event-checks.ts';
import type { EventInput } from '../src/types.ts';

// completeEvent skips the checks of what it filled in itself (a fresh id and time, the bus's
// default source once it passed): it must refuse exactly what checking everything refuses.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    return error instanceof PublishError ? `${error.code}: ${error.message}` : 'other';
  }
}

const attribute = fc.oneof(
  fc.constantFrom(undefined, null, '', 'a\u0001b', '/s\u{10FFFF}', '2026-01-01T00:00:00Z', 'yesterday'),
  fc.string({ maxLength: 12 }),
);

describe('completeEvent', () => {
  it('fills id, time and source when missing or null', () => {
    const a = completeEvent({ type: 't', id: null, time: null, source: null } as never, '/svc');
    const b = completeEvent({ type: 't' }, '/svc');
    expect(a.id).not.toBe(b.id);
    expect(a.time).toMatch(RFC3339);
    expect([a.source, a.specversion]).toEqual(['/svc', '1.0']);
  });

  it('refuses a default source that is not a CloudEvents String on every publish', () => {
    for (let i = 0; i < 3; i++) {
      expect(outcome(() => completeEvent({ type: 't' }, '/bad\u0001'))).toMatch(/^invalid_event: event.source/);
    }
    expect(outcome(() => completeEvent({ type: 't' }, '/good'))).toBe('ok');
    expect(outcome(() => completeEvent({ type: 't' }, '/good'))).toBe('ok');
    expect(outcome(() => completeEvent({ type: 't' }, '/bad\u0001'))).toMatch(/^invalid_event: event.source/);
    expect(outcome(() => completeEvent({ type: 't', source: '\u0085' }, '/good'))).toMatch(/source/);
  });

  it('refuses exactly what checking every attribute after filling them in refuses', () => {
    fc.assert(
      fc.property(attribute, attribute, attribute, attribute, attribute, (id, source, time, type, fallback) => {
        const input = { type, data: 1 } as unknown as EventInput;
        if (id !== undefined) input.id = id as string;
        if (source !== undefined) input.source = source as string;
        if (time !== undefined) input.time = time as string;
        const defaultSource = typeof fallback === 'string' ? fallback : '/svc';
        const fast = outcome(() => completeEvent(input, defaultSource));
        const full = outcome(() => {
          const event = { ...input } as Record<string, unknown>;
          event['specversion'] = '1.0';
          event['id'] ??= 'generated-id';
          event['source'] ??= defaultSource;
          event['time'] ??= new Date().toISOString();
          checkPublishedEvent(event);
        });
        expect(fast).toBe(full);
      }),
      { numRuns: 500 },
    );
  });
});
