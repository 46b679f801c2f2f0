import type { ServerResponse } from 'node:http';
import { getTraceIds } from '@service-runtime/observability';

/** The RFC 6750 error codes, plus none for a request without credentials. */
export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/** One refusal: status, RFC 6750 challenge parameters and the problem detail. */
export interface Refusal {
  status: 400 | 401 | 403 | 503;
  detail: string;
  error?: BearerError;
  /** The scopes the resource requires (403 only). */
  scope?: readonly string[];
  /** Seconds, for 503. */
  retryAfterSeconds?: number;
}

const TITLES = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' };

/** `Bearer realm="…", error="…", error_description="…", scope="…"` with quoted-string escaping. */
export function wwwAuthenticate(realm: string, refusal: Refusal): string {
  let challenge = `Bearer realm=${quote(realm)}`;
  if (refusal.error !== undefined) {
    challenge += `, error=${quote(refusal.error)}, error_description=${quote(refusal.detail)}`;
  }
  if (refusal.scope !== undefined) challenge += `, scope=${quote(refusal.scope.join(' '))}`;
  return challenge;
}

/**
 * Sends an `application/problem+json` refusal (RFC 9457) with `trace_id` so a client can quote it.
 * 503 gets `Retry-After` and no challenge: an outage is never reported as a bad token.
 */
export function sendRefusal(res: ServerResponse, realm: string, refusal: Refusal): void {
  const { trace_id } = getTraceIds();
  const body = JSON.stringify({
    type: 'about:blank',
    title: TITLES[refusal.status],
    status: refusal.status,
    detail: refusal.detail,
    ...(refusal.error === undefined ? {} : { error: refusal.error }),
    ...(trace_id === undefined ? {} : { trace_id }),
  });
  res.statusCode = refusal.status;
  if (refusal.status === 503) res.setHeader('retry-after', String(refusal.retryAfterSeconds ?? 1));
  else res.setHeader('www-authenticate', wwwAuthenticate(realm, refusal));
  res.setHeader('cache-control', 'no-store');
  res.setHeader('content-type', 'application/problem+json');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
