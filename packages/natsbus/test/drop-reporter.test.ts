import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, getLogger, setLogger, type Logger } from '../../observability/src/logger.ts';
import { DropReporter } from '../src/drop-reporter.ts';

let previous: Logger;
let lines: { subscription: string; reason: string; dropped: number; dropped_total: number }[];
beforeEach(() => {
  previous = getLogger();
  lines = [];
  setLogger(
    createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } }),
  );
});
afterEach(() => setLogger(previous));

describe('dropped messages are logged at most once per interval', () => {
  it('logs the first drop at once, sums the rest into one line per interval, never loses the tail', async () => {
    const reporter = new DropReporter('orders.created', 100);
    for (let i = 0; i < 5000; i++) reporter.dropped('slow_consumer');
    await waitForLines(1);
    expect(lines[0]).toMatchObject({ subscription: 'orders.created', reason: 'slow_consumer', dropped: 1 });
    await waitForLines(2);
    expect(lines[1]).toMatchObject({ dropped: 4999, dropped_total: 5000 });
    reporter.dropped('shutdown', 3);
    reporter.close();
    await waitForLines(3);
    expect(lines[2]).toMatchObject({ reason: 'shutdown', dropped: 3, dropped_total: 5003 });
    expect(reporter.total).toBe(5003);
    await sleep(250);
    expect(lines).toHaveLength(3);
  });
});

async function waitForLines(count: number): Promise<void> {
  getLogger().flush?.();
  for (let i = 0; i < 100 && lines.length < count; i++) {
    await sleep(20);
    getLogger().flush?.();
  }
  expect(lines.length).toBeGreaterThanOrEqual(count);
}
