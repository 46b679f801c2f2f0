/**
 * `node --import @service-runtime/observability/register app.js`: initializes tracing, metrics and
 * the logger from the environment alone, before any application module loads.
 */
import { initObservability } from './observability.ts';

initObservability();
