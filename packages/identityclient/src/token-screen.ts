/** Why a token was refused before any upstream call. */
export type TokenRejection = 'empty' | 'too_long' | 'malformed';

/** RFC 6750 §2.1 `b64token`: what a bearer token may consist of. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The constant-time checks: not a string or empty, or longer than `maxLength`. */
export function screenTokenLength(token: unknown, maxLength: number): 'empty' | 'too_long' | undefined {
  if (typeof token !== 'string' || token === '') return 'empty';
  return token.length > maxLength ? 'too_long' : undefined;
}

/** True when `token` consists of `b64token` characters only (a scan: run it once per token, not per hit). */
export function isB64Token(token: string): boolean {
  return B64TOKEN.test(token);
}

/**
 * Every check a token must pass before it is looked up or sent anywhere: not empty, not longer than
 * `maxLength` (checked first, so a huge value costs nothing), only `b64token` characters. Such a token
 * cannot be valid; refusing it costs no cache slot and no upstream call.
 */
export function screenToken(token: unknown, maxLength: number): TokenRejection | undefined {
  return screenTokenLength(token, maxLength) ?? (isB64Token(token as string) ? undefined : 'malformed');
}
