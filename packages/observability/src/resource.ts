import os from 'node:os';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';

/**
 * The resource every span and metric carries: service, deployment, host and process attributes,
 * built synchronously (no async detectors, so nothing waits on a span's export).
 */
export function createResource(attributes: Record<string, string | number | boolean>): Resource {
  return defaultResource().merge(
    resourceFromAttributes({
      'host.name': os.hostname(),
      'host.arch': os.arch(),
      'os.type': os.type().toLowerCase(),
      'process.pid': process.pid,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
      'process.executable.name': process.title,
      ...attributes,
    }),
  );
}
