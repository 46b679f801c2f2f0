import { writeSync } from 'node:fs';
import pino, { type DestinationStream } from 'pino';

/** Bound of what may wait to be written before lines are dropped (and counted). */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
/** Lines leave at the latest this long after they were logged… */
const FLUSH_DELAY_MS = 10;
/** …or as soon as this much is waiting. */
const FLUSH_BYTES = 64 * 1024;
/** The buffer lines are encoded into: room for a full batch plus one ordinary line. */
const CHUNK_BYTES = FLUSH_BYTES + 16 * 1024;

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
 * write per hundreds of lines instead of one per line or per event-loop turn. Each line is encoded
 * to UTF-8 once, straight into the chunk that will be written (no join, no second encoding of the
 * batch). What waits is bounded; lines beyond the bound are dropped, counted, and reported in the
 * next line written. Pending lines are written synchronously when the process exits.
 */
export function createBatchedDestination(fd = 1): BatchedDestination {
  const sonic = pino.destination({ dest: fd, sync: false, maxLength: MAX_PENDING_BYTES, contentMode: 'buffer' });
  // in buffer mode SonicBoom takes bytes (its types only know strings)
  const bytesOut = sonic as unknown as { write(bytes: Buffer): boolean };
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  let lines = 0;
  let scheduled = false;
  let dropped = 0;
  let reported = 0;

  let chunkDropped = false;
  sonic.on('drop', () => {
    chunkDropped = true;
  });

  // The notice of a gap goes before the lines that follow it, where a reader looks for it.
  const notice = (lost: number) =>
    Buffer.from(
      `${JSON.stringify({
        level: 'warn',
        time: new Date().toISOString(),
        msg: `dropped ${lost} log lines: the log output did not keep up`,
        dropped_log_lines: lost,
      })}\n`,
    );
  // The pending bytes. A mostly full chunk is handed over (SonicBoom may still hold it, so it is never
  // reused); a mostly empty one is copied out and kept, so what SonicBoom holds (bounded by the bytes it
  // counts) never pins a whole chunk per small write.
  const take = (): Buffer => {
    let taken: Buffer;
    if (used * 4 < CHUNK_BYTES) taken = Buffer.from(chunk.subarray(0, used));
    else {
      taken = chunk.subarray(0, used);
      chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    }
    used = 0;
    return taken;
  };
  // One write of `bytes` (holding `count` lines) after the notice of any lines lost before them.
  const send = (bytes: Buffer, count: number) => {
    const lost = dropped - reported;
    if (bytes.length === 0 && lost === 0) return;
    chunkDropped = false;
    bytesOut.write(lost > 0 ? Buffer.concat([notice(lost), bytes]) : bytes);
    // A refused chunk loses its lines (counted) and its notice (given again with the next chunk).
    if (chunkDropped) dropped += count;
    else reported += lost;
  };
  const flush = () => {
    scheduled = false;
    const count = lines;
    lines = 0;
    send(take(), count);
  };
  const flushSync = () => {
    scheduled = false;
    lines = 0;
    const pending = take();
    const lost = dropped - reported;
    reported += lost;
    const bytes = lost > 0 ? Buffer.concat([notice(lost), pending]) : pending;
    try {
      sonic.flushSync();
    } catch {
      // nothing buffered yet, or the descriptor is not open: the direct write below still goes out
    }
    if (bytes.length > 0) {
      try {
        writeSync(fd, bytes);
      } catch {
        // stdout is gone (closed pipe at exit): nothing left to write to
      }
    }
  };
  process.on('exit', flushSync);

  return {
    write(line: string) {
      // at most 3 bytes per UTF-16 unit: a line that may not fit goes after what is pending
      if (used + line.length * 3 > CHUNK_BYTES) {
        if (used > 0) flush();
        if (line.length * 3 > CHUNK_BYTES) {
          const bytes = Buffer.from(line);
          if (bytes.length > MAX_PENDING_BYTES) dropped++;
          else send(bytes, 1);
          return;
        }
      }
      used += chunk.write(line, used);
      lines++;
      if (used >= FLUSH_BYTES) flush();
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

let stdout: BatchedDestination | undefined;

/** The process's one batched stdout channel, shared by the loggers and the console span exporter. */
export function stdoutDestination(): BatchedDestination {
  stdout ??= createBatchedDestination(1);
  return stdout;
}
