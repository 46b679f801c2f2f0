export { scaffoldService } from './scaffold.ts';
export { validateServiceName } from './service-name.ts';
export { main } from './cli.ts';
export { CreateServiceError } from './errors.ts';

export type { ScaffoldOptions, ScaffoldResult } from './scaffold.ts';
export type { CreateServiceErrorCode } from './errors.ts';
