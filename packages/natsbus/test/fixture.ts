import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { vi } from 'vitest';
import { createLogger, getLogger, setLogger } from '../../observability/src/logger.ts';
import { startNatsServer, type NatsServer } from '../../../test/helpers/nats-server.ts';
import { createBus, type Bus, type BusOptions } from '../src/index.ts';

/** A nats-server, test telemetry and the buses opened by a test file. */
export interface Fixture {
  server: NatsServer;
  telemetry: TestTelemetry;
  bus(options?: Partial<BusOptions>): Promise<Bus>;
  close(): Promise<void>;
}

/** Starts one nats-server (JetStream on request) and in-memory telemetry for a test file. */
export async function startFixture(options: { jetstream?: boolean } = {}): Promise<Fixture> {
  process.env['LOG_LEVEL'] ??= 'error';
  const telemetry = setupTestTelemetry({ serviceName: 'natsbus-test' });
  const server = await startNatsServer({ jetstream: options.jetstream ?? false });
  const buses: Bus[] = [];
  return {
    server,
    telemetry,
    async bus(overrides = {}) {
      const bus = await createBus({ servers: server.url, source: '/test', closeOnShutdown: false, ...overrides });
      buses.push(bus);
      return bus;
    },
    async close() {
      await Promise.allSettled(buses.map((b) => b.close()));
      await server.close();
      await telemetry.shutdown();
    },
  };
}

/** Polls `check` until it returns a value (not undefined/false) or the deadline passes. */
export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/** Finished spans with exactly this name. */
export function spansNamed(telemetry: TestTelemetry, name: string): ReadableSpan[] {
  return telemetry.spans().filter((s) => s.name === name);
}

/** Parent span id of a finished span (sdk-trace 2.x/3.x shape). */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** A fresh unique subject for one test. */
export function uniqueSubject(prefix: string): string {
  return `${prefix}.${Math.random().toString(36).slice(2, 10)}`;
}

/** {@link waitFor} for a check that has to ask the server (JetStream info). */
export async function waitForAsync<T>(check: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

/** One captured log line (the fields tests read). */
export interface LogLine {
  msg: string;
  seq?: number;
  subscription?: string;
}

/**
 * Captures log lines from now until `restore()`. `LOG_LEVEL` is stubbed to `level` as well: it
 * overrides the level given in code, and the fixture's default (error) would hide warnings.
 */
export function captureLogs(level: 'warn' | 'error' = 'warn'): {
  logged(text: string): LogLine[];
  restore(): void;
} {
  const previous = getLogger();
  const lines: LogLine[] = [];
  vi.stubEnv('LOG_LEVEL', level);
  setLogger(createLogger({ level, destination: { write: (line: string) => void lines.push(JSON.parse(line)) } }));
  return {
    logged(text) {
      getLogger().flush?.();
      return lines.filter((line) => line.msg.includes(text));
    },
    restore: () => setLogger(previous),
  };
}

/** Collects uncaught exceptions and unhandled rejections until `stop()` (they must never happen). */
export function captureEscapes(): { escaped: unknown[]; stop(): void } {
  const escaped: unknown[] = [];
  const onEscape = (error: unknown) => void escaped.push(error);
  process.on('uncaughtExceptionMonitor', onEscape);
  process.on('unhandledRejection', onEscape);
  return {
    escaped,
    stop() {
      process.off('uncaughtExceptionMonitor', onEscape);
      process.off('unhandledRejection', onEscape);
    },
  };
}
