/** What an Authorization header holds, as RFC 6750 §2.1 sees it. */
export type BearerCredentials =
  | { kind: 'missing' }
  | { kind: 'malformed'; description: string }
  | { kind: 'too_long' }
  | { kind: 'token'; token: string };

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Reads the bearer token from an Authorization header. No header or another scheme counts as no
 * credentials (401 without an error code); `Bearer` with a bad token is malformed (400). The length
 * bound is checked before any parsing work.
 */
export function parseBearerHeader(header: string | undefined, maxTokenLength: number): BearerCredentials {
  if (header === undefined || header === '') return { kind: 'missing' };
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') return { kind: 'missing' };
  const token = space === -1 ? '' : header.slice(space + 1).trim();
  if (token === '') return { kind: 'malformed', description: 'the Bearer credentials are empty' };
  if (token.length > maxTokenLength) return { kind: 'too_long' };
  if (!B64TOKEN.test(token)) return { kind: 'malformed', description: 'the Bearer token is not a b64token' };
  return { kind: 'token', token };
}
