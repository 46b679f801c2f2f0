import type { Attributes } from '@opentelemetry/api';
import { AlwaysOnSampler, type Sampler } from '@opentelemetry/sdk-trace';
import { initObservability, type Observability, type ObservabilityOptions } from '@service-runtime/observability';
import { afterEach, beforeEach, vi } from 'vitest';

/**
 * Registers hooks that give each test a clean `OTEL_*` environment and shut down every
 * `initObservability` it made; returns the init to call (service `svc`, no signal handlers).
 */
export function observabilityPerTest(): (options: ObservabilityOptions) => Observability {
  const running: Observability[] = [];
  beforeEach(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) vi.stubEnv(key, undefined);
  });
  afterEach(() => Promise.all(running.splice(0).map((o) => o.shutdown())));
  return (options) => {
    const obs = initObservability({ serviceName: 'svc', handleSignals: false, ...options });
    running.push(obs);
    return obs;
  };
}

/** A sampler that records everything and keeps the attributes each span showed it at the start. */
export function attributeRecordingSampler(seen: Attributes[]): Sampler {
  const always = new AlwaysOnSampler();
  return {
    shouldSample: (...args) => {
      seen.push({ ...args[4] });
      return always.shouldSample();
    },
    toString: () => 'AttributeRecordingSampler',
  };
}
