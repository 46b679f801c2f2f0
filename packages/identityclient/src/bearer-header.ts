import { screenToken } from './token-screen.ts';

/** What an Authorization header holds, as RFC 6750 §2.1 sees it. */
export type BearerCredentials =
  | { kind: 'missing' }
  | { kind: 'malformed'; rejection: 'empty' | 'malformed'; description: string }
  | { kind: 'too_long' }
  | { kind: 'token'; token: string };

/**
 * Reads the bearer token from an Authorization header. No header or another scheme counts as no
 * credentials (401 without an error code); `Bearer` with a bad token is malformed (400). The checks
 * are {@link screenToken}'s, the length bound first.
 */
export function parseBearerHeader(header: string | undefined, maxTokenLength: number): BearerCredentials {
  if (header === undefined || header === '') return { kind: 'missing' };
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') return { kind: 'missing' };
  const token = space === -1 ? '' : header.slice(space + 1).trim();
  switch (screenToken(token, maxTokenLength)) {
    case undefined:
      return { kind: 'token', token };
    case 'empty':
      return { kind: 'malformed', rejection: 'empty', description: 'the Bearer credentials are empty' };
    case 'too_long':
      return { kind: 'too_long' };
    case 'malformed':
      return { kind: 'malformed', rejection: 'malformed', description: 'the Bearer token is not a b64token' };
  }
}
