/** Why a token was refused before any lookup. */
export type TokenRejection = 'empty' | 'too_long' | 'malformed';

/** RFC 6750 §2.1 `b64token`: what a bearer token may consist of. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The cheap checks a token must pass before it is hashed, looked up or sent anywhere: not empty, not
 * longer than `maxLength` (checked before the pattern, so a huge value costs nothing), only `b64token`
 * characters. Such a token cannot be valid; refusing it costs no cache slot and no upstream call.
 */
export function screenToken(token: unknown, maxLength: number): TokenRejection | undefined {
  if (typeof token !== 'string' || token === '') return 'empty';
  if (token.length > maxLength) return 'too_long';
  return B64TOKEN.test(token) ? undefined : 'malformed';
}
