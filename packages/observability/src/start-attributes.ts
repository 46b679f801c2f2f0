import { ProxyTracerProvider, trace } from '@opentelemetry/api';

let unobservedProvider: object | undefined;
// The API's no-op provider, what the global proxy hands out while no provider is registered (as
// with OTEL_SDK_DISABLED): its spans record nothing and it has no sampler or processor to read them.
const noopProvider: unknown = new ProxyTracerProvider().getDelegate();

/**
 * Records the tracer provider `initObservability` installed when nothing can look at a span's
 * start attributes: a built-in sampler (none reads attributes) and only the toolkit's own span
 * processors (none reads them in `onStart`). `undefined` when a custom sampler or processor is set.
 */
export function setStartUnobservedProvider(provider: object | undefined): void {
  unobservedProvider = provider;
}

/**
 * Whether a span started now through the global tracer provider may have its start attributes
 * read before it ends (by a sampler or a span processor's `onStart`). When not, a hot path may
 * set them right after the start, and only on spans that record: a sampled-out span then costs
 * no attribute work, and a recorded one carries every attribute all the same.
 */
export function startAttributesObserved(): boolean {
  const global = trace.getTracerProvider() as { getDelegate?(): unknown };
  const provider = global.getDelegate?.() ?? global;
  return provider !== noopProvider && (unobservedProvider === undefined || provider !== unobservedProvider);
}
