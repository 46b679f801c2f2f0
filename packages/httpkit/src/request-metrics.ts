import type { Attributes } from '@opentelemetry/api';
import type { BoundHistogramHandle } from '@service-runtime/observability';
import { durationHistogram } from './instruments.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_SCHEME,
  ERROR_TYPE_ABORTED,
} from './semconv.ts';

/** Past this many distinct sets, new ones are built and bound per request instead of kept. */
export const MAX_CACHED_SETS = 2000;
const ABORTED = -1;
type AttributeSets = Map<string, Map<string | undefined, Map<number, BoundHistogramHandle>>>;
// Per scheme: method → route → status (ABORTED for aborted requests) → the set's bound handle.
const httpSets: AttributeSets = new Map();
const httpsSets: AttributeSets = new Map();
let cachedSets = 0;

/**
 * Records one request in `http.server.request.duration` by method (`_OTHER` when unknown), scheme,
 * route template and status code (never the raw path); `error.type` is the status for 5xx and
 * `aborted` when the client went away.
 * Each attribute set is built and bound once: a request pays three map lookups and a bound record
 * (no attribute hashing), not an object.
 */
export function recordDuration(
  method: string,
  scheme: string,
  route: string | undefined,
  status: number,
  aborted: boolean,
  seconds: number,
): void {
  const key = aborted ? ABORTED : status;
  // url.scheme has two values: one tree per scheme keeps the lookups at three.
  const sets = scheme === 'https' ? httpsSets : httpSets;
  let byRoute = sets.get(method);
  let byStatus = byRoute?.get(route);
  let handle = byStatus?.get(key);
  if (handle === undefined) {
    handle = durationHistogram.bind(durationAttributes(method, scheme, route, status, aborted));
    if (cachedSets < MAX_CACHED_SETS) {
      if (byRoute === undefined) sets.set(method, (byRoute = new Map()));
      if (byStatus === undefined) byRoute.set(route, (byStatus = new Map()));
      byStatus.set(key, handle);
      cachedSets++;
    }
  }
  handle.record(seconds);
}

function durationAttributes(
  method: string,
  scheme: string,
  route: string | undefined,
  status: number,
  aborted: boolean,
): Attributes {
  const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_SCHEME]: scheme };
  if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
  if (aborted) attributes[ATTR_ERROR_TYPE] = ERROR_TYPE_ABORTED;
  else {
    attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
    if (status >= 500) attributes[ATTR_ERROR_TYPE] = String(status);
  }
  return Object.freeze(attributes);
}
