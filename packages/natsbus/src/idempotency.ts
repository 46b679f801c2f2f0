import type { CloudEvent, EventHandler } from './types.ts';

/** Options for {@link createDedupeWindow} and {@link idempotent}. */
export interface DedupeOptions {
  /** Ids remembered at most (oldest forgotten first). Default 10000. */
  maxEntries?: number;
  /** How long an id is remembered, in milliseconds. Default 10 minutes. */
  ttlMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** A bounded memory of CloudEvent ids (keyed by `source` + `id`, as the spec defines uniqueness). */
export interface DedupeWindow {
  /** True when this event was recorded within the window. */
  has(event: Pick<CloudEvent, 'id' | 'source'>): boolean;
  /** Records this event as handled. */
  add(event: Pick<CloudEvent, 'id' | 'source'>): void;
  /** Ids currently remembered. */
  readonly size: number;
}

/** A dedupe window bounded in size and age, for at-least-once delivery. */
export function createDedupeWindow(options: DedupeOptions = {}): DedupeWindow {
  const maxEntries = Math.max(1, options.maxEntries ?? 10_000);
  const ttlMs = options.ttlMs ?? 600_000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();
  const keyOf = (event: Pick<CloudEvent, 'id' | 'source'>) => `${event.source}\u0000${event.id}`;
  const expire = () => {
    const cutoff = now() - ttlMs;
    for (const [key, at] of seen) {
      if (at > cutoff && seen.size <= maxEntries) break;
      seen.delete(key);
    }
  };
  return {
    has(event) {
      expire();
      return seen.has(keyOf(event));
    },
    add(event) {
      const key = keyOf(event);
      seen.delete(key);
      seen.set(key, now());
      expire();
    },
    get size() {
      return seen.size;
    },
  };
}

/**
 * Wraps a handler so an event already handled successfully (same `source` and `id`) within the
 * window is skipped, and a duplicate arriving while the first is still running waits for it.
 * A failed attempt is not recorded, so a redelivery runs the handler again.
 */
export function idempotent<T>(handler: EventHandler<T>, options: DedupeOptions = {}): EventHandler<T> {
  const window = createDedupeWindow(options);
  const running = new Map<string, Promise<unknown>>();
  return async (event, ctx) => {
    if (window.has(event)) {
      ctx.span.setAttribute('natsbus.duplicate', true);
      return;
    }
    const key = `${event.source}\u0000${event.id}`;
    const inFlight = running.get(key);
    if (inFlight !== undefined) {
      await inFlight.catch(() => undefined);
      if (window.has(event)) {
        ctx.span.setAttribute('natsbus.duplicate', true);
        return;
      }
    }
    const attempt = (async () => handler(event, ctx))();
    running.set(key, attempt);
    try {
      await attempt;
      window.add(event);
    } finally {
      if (running.get(key) === attempt) running.delete(key);
    }
  };
}
