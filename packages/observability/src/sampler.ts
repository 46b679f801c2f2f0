import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace';
import type { ResolvedConfig } from './config.ts';

/**
 * The sampler named by `OTEL_TRACES_SAMPLER`. Ratio sampling is always parent-based, also for the
 * plain `traceidratio` name: a sampled upstream trace is never cut in the middle of the mesh.
 */
export function createSampler({ name, ratio }: ResolvedConfig['sampler']): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'traceidratio':
    case 'parentbased_traceidratio':
      // The edge ratios decide the same as AlwaysOff/AlwaysOn, without parsing each trace id.
      if (ratio <= 0) return new ParentBasedSampler({ root: new AlwaysOffSampler() });
      if (ratio >= 1) return new ParentBasedSampler({ root: new AlwaysOnSampler() });
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
