import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { describe, expect, it, vi } from 'vitest';
import { BoundedBatchSpanProcessor } from '../src/batch-processor.ts';
import { LeanTracerProvider } from '../src/lean-tracer-provider.ts';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';

const processor = (overrides: Partial<SpanProcessor> = {}): SpanProcessor => ({
  onStart: vi.fn(),
  onEnd: vi.fn(),
  forceFlush: vi.fn(() => Promise.resolve()),
  shutdown: vi.fn(() => Promise.resolve()),
  ...overrides,
});

describe('LeanTracerProvider', () => {
  it('gives one tracer and one frozen scope object per name, version and schema URL', () => {
    const provider = new LeanTracerProvider({ spanLimits: {} });
    const a = provider.getTracer('lib', '1.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
    expect(provider.getTracer('lib', '1.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' })).toBe(a);
    expect(provider.getTracer('lib', '1.0.0')).not.toBe(a);
    expect(provider.getTracer('lib')).not.toBe(provider.getTracer('lib', '1.0.0'));
    const first = a.startSpan('one') as unknown as { instrumentationScope: object };
    const second = a.startSpan('two') as unknown as { instrumentationScope: object };
    expect(first.instrumentationScope).toBe(second.instrumentationScope);
    expect(Object.isFrozen(first.instrumentationScope)).toBe(true);
    expect(first.instrumentationScope).toEqual({
      name: 'lib',
      version: '1.0.0',
      schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
    });
  });

  it('skips only the empty onStart of the bounded batch processor: an overridden one is called', () => {
    const settings = { scheduledDelayMs: 1000, exportTimeoutMs: 1000, maxQueueSize: 10, maxExportBatchSize: 10 };
    const exporter = { export: vi.fn(), shutdown: () => Promise.resolve() };
    const plain = new BoundedBatchSpanProcessor(exporter, settings);
    const onEnd = vi.spyOn(plain, 'onEnd');
    const overridden = new BoundedBatchSpanProcessor(exporter, settings);
    const onStart = vi.spyOn(overridden, 'onStart');
    const other = processor();
    const provider = new LeanTracerProvider({ spanLimits: {}, spanProcessors: [plain, overridden, other] });
    provider.getTracer('t').startSpan('s').end();
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(onStart).toHaveBeenCalledTimes(1);
    expect(other.onStart).toHaveBeenCalledTimes(1);
    expect(other.onEnd).toHaveBeenCalledTimes(1);
    expect(plain.health.queued).toBe(1);
  });

  it('startActiveSpan runs the function in the span context and returns its value, in each form', () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    try {
      const tracer = new LeanTracerProvider({ spanLimits: {} }).getTracer('t');
      const inside = (span: import('@opentelemetry/api').Span) => {
        expect(trace.getActiveSpan()).toBe(span);
        span.end();
        return span.spanContext().spanId;
      };
      expect(tracer.startActiveSpan('two', inside)).toMatch(/^[0-9a-f]{16}$/);
      expect(tracer.startActiveSpan('three', {}, inside)).toMatch(/^[0-9a-f]{16}$/);
      expect(tracer.startActiveSpan('four', {}, context.active(), inside)).toMatch(/^[0-9a-f]{16}$/);
    } finally {
      context.disable();
    }
  });

  it('forceFlush reaches every processor and rejects with the failures; shutdown reaches all', async () => {
    const ok = processor();
    const failing = processor({ forceFlush: () => Promise.reject(new Error('flush failed')) });
    const provider = new LeanTracerProvider({ spanLimits: {}, spanProcessors: [ok, failing] });
    await expect(provider.forceFlush()).rejects.toEqual([new Error('flush failed')]);
    expect(ok.forceFlush).toHaveBeenCalledTimes(1);
    await provider.shutdown();
    expect(ok.shutdown).toHaveBeenCalledTimes(1);
    expect(failing.shutdown).toHaveBeenCalledTimes(1);
  });

  it('forceFlush gives up on a processor that never answers after timeoutMillis', async () => {
    const hanging = processor({ forceFlush: () => new Promise<void>(() => {}) });
    const provider = new LeanTracerProvider({ spanLimits: {}, spanProcessors: [hanging] });
    await expect(provider.forceFlush({ timeoutMillis: 20 })).rejects.toHaveLength(1);
  });
});
