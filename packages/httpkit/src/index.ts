export { createApp } from './app.ts';
export { listen } from './listen.ts';
export { tracing } from './server-span.ts';
export { addReadinessCheck } from './app-state.ts';
export { createHttpClient } from './http-client.ts';
export { requestId } from './request-id.ts';
export { notFound, errorHandler, sendProblem } from './problem.ts';
export { HttpkitError, ConfigError, HttpError } from './errors.ts';

export type {
  CreateAppOptions,
  TracingOptions,
  ListenOptions,
  RunningServer,
  ReadinessCheck,
  HttpClientOptions,
  TracedFetch,
  ProblemDetails,
} from './types.ts';
