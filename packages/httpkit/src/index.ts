export { createApp } from './app.ts';
export { addReadinessCheck } from './app-state.ts';
export { ConfigError, HttpError, HttpkitError } from './errors.ts';
export { createHttpClient } from './http-client.ts';
export { listen } from './listen.ts';
export { errorHandler, notFound, sendProblem } from './problem.ts';
export { requestId } from './request-id.ts';
export { tracing } from './server-span.ts';

export type {
  CreateAppOptions,
  HttpClientOptions,
  ListenOptions,
  ProblemDetails,
  ReadinessCheck,
  RunningServer,
  TracedFetch,
  TracingOptions,
} from './types.ts';
