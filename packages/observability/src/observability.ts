import { context, DiagLogLevel, diag, metrics, propagation, trace, type Meter, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { BoundedBatchSpanProcessor } from './batch-processor.ts';
import { resolveConfig, type ResolvedConfig } from './config.ts';
import { createDiagBridge } from './diag-bridge.ts';
import { setConfigWarningSink } from './env.ts';
import { LeanTracerProvider } from './lean-tracer-provider.ts';
import { createLogOutput } from './log-exporters.ts';
import { createLogger, setLogger, type Logger } from './logger.ts';
import type { OtlpLogExport } from './otlp-log-exporter.ts';
import { createMeterProvider, createTracingHealthObserver, setMetricsHandler } from './metrics.ts';
import { createPropagator } from './propagators.ts';
import { createRedactor, settingSecrets, urlSecrets } from './redact.ts';
import { createResource } from './resource.ts';
import { PooledRandomIdGenerator } from './random-ids.ts';
import { createSampler } from './sampler.ts';
import { setStartUnobservedProvider } from './start-attributes.ts';
import { resolveShutdownGraceMs, runShutdownHooks, withinBudget } from './shutdown-hooks.ts';
import { createSpanExporter } from './span-exporters.ts';
import type { ObservabilityOptions, TracingHealth } from './types.ts';

const SCOPE = '@service-runtime/observability';

/** The handle returned by {@link initObservability}. */
export interface Observability {
  /** `service.name` in effect. */
  readonly serviceName: string;
  /** True when `OTEL_SDK_DISABLED=true`: tracers and meters are no-ops. */
  readonly disabled: boolean;
  /** The trace-correlated logger. */
  readonly logger: Logger;
  /** A tracer from the global provider. */
  tracer(name?: string, version?: string): Tracer;
  /** A meter from the global provider. */
  meter(name?: string, version?: string): Meter;
  /** Exported, failed, dropped and queued span counts. */
  tracingHealth(): TracingHealth;
  /** Exports every finished span now. Never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes and stops within the shutdown bound. Safe to call twice; never rejects. */
  shutdown(): Promise<void>;
}

let current: { handle: Observability; optionsKey: string } | undefined;

/**
 * Sets up tracing, metrics and the logger for this process from `OTEL_*` variables and `options`
 * (environment wins). Idempotent: later calls return the first handle and warn if options differ.
 */
export function initObservability(options: ObservabilityOptions = {}): Observability {
  const optionsKey = keyOf(options);
  if (current !== undefined) {
    if (current.optionsKey !== optionsKey) {
      current.handle.logger.warn('initObservability was called again with different options; keeping the first setup');
    }
    return current.handle;
  }
  // Warnings raised while resolving go to the logger, which needs the resolved service name first.
  const pending: string[] = [];
  setConfigWarningSink((message) => pending.push(message));
  const config = resolveConfig(options);
  const logOutput = createLogOutput(config, options.logger?.destination);
  const logger = createLogger({
    serviceName: config.serviceName,
    level: options.logger?.level,
    destination: logOutput.destination,
  });
  logOutput.setNotices(logger);
  setLogger(logger);
  const warn = (message: string) => logger.warn({ config: true }, message);
  setConfigWarningSink(warn);
  pending.forEach(warn);
  const handle = config.disabled ? disabledHandle(config, logger) : startSdk(config, options, logger, logOutput.otlp);
  current = { handle, optionsKey };
  if (config.handleSignals) installSignalHandlers(handle, config.shutdownTimeoutMs);
  installExitFlush();
  return handle;
}

function startSdk(
  config: ResolvedConfig,
  options: ObservabilityOptions,
  logger: Logger,
  logExport: OtlpLogExport | undefined,
): Observability {
  const redact = createRedactor(
    settingSecrets(process.env, [
      ...Object.values(config.otlp.headers),
      ...Object.values(config.metricsOtlp.headers),
      ...urlSecrets(config.otlp.url),
      ...urlSecrets(config.metricsOtlp.url),
    ]),
  );
  diag.setLogger(createDiagBridge(logger, redact), {
    logLevel: diagLevel(config.diagLevel),
    suppressOverrideMessage: true,
  });
  const resource = createResource(config.resourceAttributes);
  const meterProvider = createMeterProvider(config, resource, logger, redact);
  metrics.setGlobalMeterProvider(meterProvider);
  const healthMeter = meterProvider.getMeter(SCOPE);

  const batchProcessors: BoundedBatchSpanProcessor[] = [];
  for (const name of config.tracesExporters) {
    const exporter = createSpanExporter(name, config, logger, redact);
    if (exporter === undefined) continue;
    const holder: { processor?: BoundedBatchSpanProcessor } = {};
    const observer = createTracingHealthObserver(
      healthMeter,
      () => holder.processor?.health.queued ?? 0,
      config.batch.maxQueueSize,
    );
    holder.processor = new BoundedBatchSpanProcessor(exporter, config.batch, observer);
    batchProcessors.push(holder.processor);
  }
  const spanProcessors: SpanProcessor[] = [...batchProcessors, ...(options.spanProcessors ?? [])];
  const tracerProvider = new LeanTracerProvider({
    resource,
    sampler: options.sampler ?? createSampler(config.sampler),
    spanProcessors,
    idGenerator: new PooledRandomIdGenerator(),
  });

  installPropagation(config);
  trace.setGlobalTracerProvider(tracerProvider);
  const unobserved = options.sampler === undefined && (options.spanProcessors ?? []).length === 0;
  setStartUnobservedProvider(unobserved ? tracerProvider : undefined);
  const unregisterInstrumentations =
    options.instrumentations && options.instrumentations.length > 0
      ? registerInstrumentations({ instrumentations: options.instrumentations, tracerProvider, meterProvider })
      : undefined;

  let shutdownPromise: Promise<void> | undefined;
  const bounded = (work: Promise<unknown>, what: string) =>
    withinBudget(work, config.shutdownTimeoutMs, true).then(
      (finished) => {
        if (!finished) logger.warn(`${what} did not finish within ${config.shutdownTimeoutMs} ms; giving up`);
      },
      (error: unknown) => logger.warn({ err: error }, `${what} failed`),
    );

  const handle: Observability = {
    serviceName: config.serviceName,
    disabled: false,
    logger,
    tracer: (name = config.serviceName, version) => trace.getTracer(name, version),
    meter: (name = config.serviceName, version) => metrics.getMeter(name, version),
    tracingHealth: () => sumHealth(batchProcessors),
    forceFlush: () =>
      bounded(
        Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush(), logExport?.flush()]),
        'telemetry flush',
      ),
    shutdown() {
      shutdownPromise ??= (async () => {
        // Log records go last, so the lines logged while spans and metrics shut down go out too.
        await bounded(
          Promise.allSettled([tracerProvider.shutdown(), shutdownMeters(meterProvider)]).then(() =>
            logExport?.shutdown(),
          ),
          'telemetry shutdown',
        );
        unregisterInstrumentations?.();
        trace.disable();
        metrics.disable();
        uninstallPropagation();
        setMetricsHandler(undefined);
        if (current?.handle === handle) current = undefined;
      })();
      return shutdownPromise;
    },
  };
  return handle;
}

async function shutdownMeters(meterProvider: MeterProvider): Promise<void> {
  await meterProvider.forceFlush().catch(() => undefined);
  await meterProvider.shutdown();
}

/** Context manager and propagators: installed even with the SDK disabled, so traces pass through. */
function installPropagation(config: ResolvedConfig): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(createPropagator(config.propagators));
}

function uninstallPropagation(): void {
  propagation.disable();
  context.disable();
}

// OTEL_SDK_DISABLED "has no effect on propagators" (OpenTelemetry SDK environment spec): no spans or
// metrics, but an incoming trace context still reaches trusted downstream calls and NATS.
function disabledHandle(config: ResolvedConfig, logger: Logger): Observability {
  installPropagation(config);
  const handle: Observability = {
    serviceName: config.serviceName,
    disabled: true,
    logger,
    tracer: (name = config.serviceName, version) => trace.getTracer(name, version),
    meter: (name = config.serviceName, version) => metrics.getMeter(name, version),
    tracingHealth: () => ({ exported: 0, failed: 0, dropped: 0, queued: 0 }),
    forceFlush: async () => {},
    shutdown: async () => {
      if (current?.handle !== handle) return;
      uninstallPropagation();
      current = undefined;
    },
  };
  return handle;
}

let exitFlushInstalled = false;

// A process that simply runs out of work still exports what it traced: shutting down keeps the loop
// alive until the export is done, then `beforeExit` fires again with nothing left to do.
function installExitFlush(): void {
  if (exitFlushInstalled) return;
  exitFlushInstalled = true;
  process.on('beforeExit', () => void current?.handle.shutdown());
}

let signalsInstalled = false;

function installSignalHandlers(handle: Observability, flushMs: number): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A repeated SIGTERM waits for the graceful stop; a second Ctrl-C forces the exit.
      if (signal === 'SIGINT') process.exit(130);
      return;
    }
    stopping = true;
    // One bound for the whole sequence: the hooks get the grace minus the telemetry flush's share,
    // and whatever still hangs at the end of the grace cannot keep the process from exiting 0.
    const graceMs = resolveShutdownGraceMs();
    const exit = () => {
      handle.logger.flush?.();
      process.exit(0);
    };
    setTimeout(exit, graceMs);
    handle.logger.info({ signal, grace_ms: graceMs }, 'shutting down');
    void runShutdownHooks(
      (error) => handle.logger.error({ err: error }, 'shutdown hook failed'),
      Math.max(0, graceMs - Math.min(flushMs, graceMs / 2)),
    )
      .then(() => (current?.handle ?? handle).shutdown())
      .finally(exit);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

function sumHealth(processors: BoundedBatchSpanProcessor[]): TracingHealth {
  const total: TracingHealth = { exported: 0, failed: 0, dropped: 0, queued: 0 };
  for (const { health } of processors) {
    total.exported += health.exported;
    total.failed += health.failed;
    total.dropped += health.dropped;
    total.queued += health.queued;
  }
  return total;
}

function diagLevel(name: string): DiagLogLevel {
  const level = (DiagLogLevel as unknown as Record<string, DiagLogLevel>)[name];
  return level ?? DiagLogLevel.WARN;
}

function keyOf(options: ObservabilityOptions): string {
  return JSON.stringify(options, (_key, value: unknown) =>
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) !== Object.prototype
      ? `[${(value as object).constructor?.name ?? 'object'}]`
      : value,
  );
}
