import { setTimeout as sleep } from 'node:timers/promises';

/** Counts CloudEvent ids in (acknowledged by the server) and out (seen by handlers). */
export class IdTally {
  /** Ids whose publish resolved. */
  readonly published = new Set<string>();
  /** Handler runs per id. */
  readonly delivered = new Map<string, number>();

  /** Records one handler run for `id`. */
  deliver(id: string): void {
    this.delivered.set(id, (this.delivered.get(id) ?? 0) + 1);
  }

  /** Published ids never seen by a handler. */
  missing(): string[] {
    return [...this.published].filter((id) => !this.delivered.has(id));
  }

  /** Ids seen by a handler that were never published. */
  unknown(): string[] {
    return [...this.delivered.keys()].filter((id) => !this.published.has(id));
  }

  /** Handler runs beyond the first, over all ids (at-least-once redelivery). */
  redeliveries(): number {
    let extra = 0;
    for (const count of this.delivered.values()) extra += count - 1;
    return extra;
  }

  /** Distinct published ids seen by a handler. */
  seen(): number {
    let n = 0;
    for (const id of this.published) if (this.delivered.has(id)) n++;
    return n;
  }
}

/** Polls `check` every 50 ms until it is truthy; throws `message()` after `timeoutMs`. */
export async function waitUntil(check: () => boolean, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message()}`);
    await sleep(50);
  }
}
