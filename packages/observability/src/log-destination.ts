import { writeSync } from 'node:fs';
import pino, { type DestinationStream } from 'pino';

/** Bound of what may wait to be written before lines are dropped (and counted). */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
/** Lines leave at the latest this long after they were logged… */
const FLUSH_DELAY_MS = 10;
/** …or as soon as this much is waiting. */
const FLUSH_BYTES = 64 * 1024;

/** A destination that also tells how many lines it had to drop. */
export interface BatchedDestination extends DestinationStream {
  /** Lines dropped because the output did not keep up (pending text over 16 MiB). */
  readonly dropped: number;
  /** Hands everything pending to the file descriptor now, synchronously (used at exit). */
  flushSync(): void;
}

/**
 * The logger's default output: lines gathered over 10 ms (or 64 KiB) leave in ONE asynchronous
 * write (through SonicBoom, so a slow pipe never blocks the event loop). Under load that is one
 * write per hundreds of lines instead of one per line or per event-loop turn. What waits is
 * bounded; lines beyond the bound are dropped, counted, and reported in the next line written.
 * Pending lines are written synchronously when the process exits.
 */
export function createBatchedDestination(fd = 1): BatchedDestination {
  const sonic = pino.destination({ dest: fd, sync: false, maxLength: MAX_PENDING_BYTES });
  let pending: string[] = [];
  let pendingChars = 0;
  let scheduled = false;
  let dropped = 0;
  let reported = 0;

  let chunkDropped = false;
  sonic.on('drop', () => {
    chunkDropped = true;
  });

  // The notice of a gap goes before the lines that follow it, where a reader looks for it.
  const notice = (lost: number) =>
    `${JSON.stringify({
      level: 'warn',
      time: new Date().toISOString(),
      msg: `dropped ${lost} log lines: the log output did not keep up`,
      dropped_log_lines: lost,
    })}\n`;
  const takeLines = (): string => {
    const text = pending.join('');
    pending = [];
    pendingChars = 0;
    return text;
  };
  const flush = () => {
    scheduled = false;
    const lines = takeLines();
    const lost = dropped - reported;
    if (lines === '' && lost === 0) return;
    chunkDropped = false;
    sonic.write(lost > 0 ? notice(lost) + lines : lines);
    // A refused chunk loses its lines (counted) and its notice (given again with the next chunk).
    if (chunkDropped) dropped += countLines(lines);
    else reported += lost;
  };
  const flushSync = () => {
    scheduled = false;
    const lines = takeLines();
    const lost = dropped - reported;
    reported += lost;
    const text = lost > 0 ? notice(lost) + lines : lines;
    try {
      sonic.flushSync();
    } catch {
      // nothing buffered yet, or the descriptor is not open: the direct write below still goes out
    }
    if (text !== '') {
      try {
        writeSync(fd, text);
      } catch {
        // stdout is gone (closed pipe at exit): nothing left to write to
      }
    }
  };
  process.on('exit', flushSync);

  return {
    write(line: string) {
      if (pendingChars + line.length > MAX_PENDING_BYTES) {
        dropped++;
        return;
      }
      pending.push(line);
      pendingChars += line.length;
      if (pendingChars >= FLUSH_BYTES) flush();
      else if (!scheduled) {
        scheduled = true;
        setTimeout(flush, FLUSH_DELAY_MS).unref();
      }
    },
    flushSync,
    get dropped() {
      return dropped;
    },
  };
}

function countLines(text: string): number {
  let lines = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  return Math.max(lines, 1);
}

let stdout: BatchedDestination | undefined;

/** The process's one batched stdout channel, shared by the loggers and the console span exporter. */
export function stdoutDestination(): BatchedDestination {
  stdout ??= createBatchedDestination(1);
  return stdout;
}
