import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createBatchedDestination } from '../src/log-destination.ts';

const files: string[] = [];
function tempFd(): { fd: number; read: () => string } {
  const path = join(tmpdir(), `log-destination-${process.pid}-${files.length}.log`);
  files.push(path);
  const fd = openSync(path, 'w');
  return { fd, read: () => readFileSync(path, 'utf8') };
}
afterEach(() => {
  for (const path of files.splice(0)) rmSync(path, { force: true });
});

async function settle(read: () => string, expectedLines: number): Promise<string[]> {
  await expect
    .poll(() => read().split('\n').filter(Boolean).length, { timeout: 5000 })
    .toBeGreaterThanOrEqual(expectedLines);
  return read().split('\n').filter(Boolean);
}

describe('createBatchedDestination', () => {
  it('writes every line, in order, after the turn in which they were logged', async () => {
    const { fd, read } = tempFd();
    const logger = pino({ base: {} }, createBatchedDestination(fd));
    for (let i = 0; i < 1000; i++) logger.info({ i }, 'line');
    expect(read()).toBe(''); // nothing is written on the logging call itself
    const lines = await settle(read, 1000);
    expect(lines.map((l) => JSON.parse(l).i)).toEqual([...Array(1000).keys()]);
    closeSync(fd);
  });

  it('writes pending lines synchronously on flushSync (what the exit handler calls)', () => {
    const { fd, read } = tempFd();
    const destination = createBatchedDestination(fd);
    destination.write('{"msg":"last words"}\n');
    destination.flushSync();
    expect(read()).toBe('{"msg":"last words"}\n');
    closeSync(fd);
  });

  it('drops and counts lines beyond its bound, then says so in the output', async () => {
    const { fd, read } = tempFd();
    const destination = createBatchedDestination(fd);
    const big = `${'x'.repeat(1024 * 1024)}\n`;
    for (let i = 0; i < 20; i++) destination.write(big); // 20 MiB at once; the bound is 16 MiB
    expect(destination.dropped).toBeGreaterThan(0);
    await nextTurn();
    destination.write('{"msg":"after"}\n');
    await expect.poll(() => read().endsWith('{"msg":"after"}\n'), { timeout: 5000 }).toBe(true);
    const lines = read().split('\n').filter(Boolean);
    const reported = lines
      .filter((l) => l.startsWith('{') && l.includes('dropped_log_lines'))
      .map((l) => JSON.parse(l) as { level: string; dropped_log_lines: number });
    expect(reported.every((w) => w.level === 'warn')).toBe(true);
    // Every dropped line is reported once, and every line is either written or reported.
    expect(reported.reduce((sum, w) => sum + w.dropped_log_lines, 0)).toBe(destination.dropped);
    expect(lines.filter((l) => l.startsWith('x')).length).toBe(20 - destination.dropped);
    closeSync(fd);
  });
});
