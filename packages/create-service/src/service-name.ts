import { CreateServiceError } from './errors.ts';

const NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/**
 * Checks a service name: lowercase letters, digits and single hyphens, starting with a letter, at
 * most 50 characters. It becomes the npm package name, OTEL_SERVICE_NAME, the NATS source and a
 * directory, so it must be valid for all four.
 */
export function validateServiceName(name: string): string {
  if (name.length === 0 || name.length > 50 || !NAME.test(name)) {
    throw new CreateServiceError(
      'INVALID_NAME',
      `invalid service name "${name}": use 1-50 lowercase letters, digits and single hyphens, starting with a letter (e.g. "billing-api")`,
    );
  }
  return name;
}
