import type { Sampler } from '@opentelemetry/sdk-trace';
import type { ResolvedConfig } from './config.ts';
import { ConstantSampler, ParentOrRootSampler, TraceIdRatioSampler } from './lean-samplers.ts';

/**
 * The sampler named by `OTEL_TRACES_SAMPLER`. Ratio sampling is always parent-based, also for the
 * plain `traceidratio` name: a sampled upstream trace is never cut in the middle of the mesh.
 */
export function createSampler({ name, ratio }: ResolvedConfig['sampler']): Sampler {
  switch (name) {
    case 'always_on':
      return new ConstantSampler(true);
    case 'always_off':
      return new ConstantSampler(false);
    case 'parentbased_always_off':
      return new ParentOrRootSampler(new ConstantSampler(false));
    case 'traceidratio':
    case 'parentbased_traceidratio':
      // The edge ratios decide the same as AlwaysOff/AlwaysOn, without parsing each trace id.
      if (ratio <= 0) return new ParentOrRootSampler(new ConstantSampler(false));
      if (ratio >= 1) return new ParentOrRootSampler(new ConstantSampler(true));
      return new ParentOrRootSampler(new TraceIdRatioSampler(ratio));
    default:
      return new ParentOrRootSampler(new ConstantSampler(true));
  }
}
