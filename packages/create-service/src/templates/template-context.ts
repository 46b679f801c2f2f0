/** What every template is rendered from. */
export interface TemplateContext {
  /** Service name: npm name, OTEL_SERVICE_NAME, CloudEvents source suffix. */
  name: string;
  /** Version range of the @service-runtime packages, or `file:` specifiers by package. */
  dependency: (pkg: 'observability' | 'httpkit' | 'identityclient' | 'natsbus') => string;
}

/** A generated file: path relative to the service folder, and its text. */
export interface GeneratedFile {
  path: string;
  content: string;
}

/** `orders-api` → `ordersApi`, for identifiers in generated code. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}
