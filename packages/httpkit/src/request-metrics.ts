import type { Attributes } from '@opentelemetry/api';
import { durationHistogram } from './instruments.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ERROR_TYPE_ABORTED,
} from './semconv.ts';

/**
 * Records one request in `http.server.request.duration` by method, route template and status code
 * (never the raw path); `error.type` is the status for 5xx and `aborted` when the client went away.
 */
export function recordDuration(
  method: string,
  route: string | undefined,
  status: number,
  aborted: boolean,
  seconds: number,
): void {
  const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: method };
  if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
  if (aborted) attributes[ATTR_ERROR_TYPE] = ERROR_TYPE_ABORTED;
  else {
    attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
    if (status >= 500) attributes[ATTR_ERROR_TYPE] = String(status);
  }
  durationHistogram().record(seconds, attributes);
}
