import { IdentityUnavailableError } from './errors.ts';
import type { IntrospectionResult } from './types.ts';

const STRING_MEMBERS = ['scope', 'client_id', 'username', 'token_type', 'sub', 'iss', 'jti'] as const;
const NUMBER_MEMBERS = ['exp', 'iat', 'nbf'] as const;

/**
 * Parses and validates a 200 answer. `active` must be a JSON boolean and the registered members must
 * have their RFC 7662 types, or the answer is malformed (an outage, never an inactive token). The
 * result is deep-frozen so no handler can change a cached answer, down to extension members' arrays
 * and objects. Errors never quote the body.
 */
export function parseIntrospectionBody(text: string, contentType: string | null): IntrospectionResult {
  const malformed = (what: string) =>
    new IdentityUnavailableError(`identity service sent a malformed introspection answer: ${what}`, {
      reason: 'malformed_response',
      status: 200,
      response: { status: 200, contentType },
    });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw malformed('not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed('not a JSON object');
  const record = body as Record<string, unknown>;
  if (typeof record['active'] !== 'boolean') throw malformed('"active" is not a boolean');
  for (const name of STRING_MEMBERS) {
    const value = record[name];
    if (value !== undefined && typeof value !== 'string') throw malformed(`"${name}" is not a string`);
  }
  for (const name of NUMBER_MEMBERS) {
    const value = record[name];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value)))
      throw malformed(`"${name}" is not a number`);
  }
  const aud = record['aud'];
  if (aud !== undefined && typeof aud !== 'string') {
    if (!Array.isArray(aud) || !aud.every((item) => typeof item === 'string'))
      throw malformed('"aud" is not a string or an array of strings');
  }
  return deepFreeze(record) as IntrospectionResult;
}

/**
 * Freezes a parsed JSON value and everything under it. Iterative, because JSON.parse accepts nesting
 * far deeper than the call stack would survive, and a hostile answer must not turn into a crash.
 */
function deepFreeze<T extends object>(root: T): T {
  const pending: object[] = [root];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    Object.freeze(next);
    for (const value of Object.values(next))
      if (typeof value === 'object' && value !== null) pending.push(value as object);
  }
  return root;
}
