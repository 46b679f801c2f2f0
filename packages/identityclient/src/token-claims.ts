import { InsufficientScopeError, InvalidTokenError } from './errors.ts';
import type { IntrospectionResult, TokenRequirements } from './types.ts';

/**
 * Checks an introspection answer against what the resource requires: active, `exp`, `nbf`, issuer,
 * audience, then scopes. Runs on every request, whether the answer came from the cache or not, so a
 * cached answer never skips a check. Throws {@link InvalidTokenError} or {@link InsufficientScopeError}.
 */
export function checkTokenClaims(
  result: IntrospectionResult,
  requirements: TokenRequirements = {},
  nowMs: number = Date.now(),
): void {
  if (!result.active) throw new InvalidTokenError('token is not active', 'inactive');
  const now = nowMs / 1000;
  const tolerance = requirements.clockToleranceSec ?? 0;
  if (result.exp !== undefined && result.exp + tolerance <= now)
    throw new InvalidTokenError('token expired', 'expired');
  if (result.nbf !== undefined && result.nbf - tolerance > now)
    throw new InvalidTokenError('token is not yet valid', 'not_yet_valid');
  const issuers = asList(requirements.issuer);
  if (issuers.length > 0 && (result.iss === undefined || !issuers.includes(result.iss)))
    throw new InvalidTokenError('token was issued by another issuer', 'issuer');
  const audiences = asList(requirements.audience);
  if (audiences.length > 0) {
    const granted = asList(result.aud);
    if (!granted.some((aud) => audiences.includes(aud)))
      throw new InvalidTokenError('token is meant for another audience', 'audience');
  }
  const required = requirements.scopes ?? [];
  if (required.length > 0) {
    const granted = grantedScopes(result);
    const missing = required.filter((scope) => !granted.has(scope));
    if (missing.length > 0) throw new InsufficientScopeError(required, missing);
  }
}

const scopeSets = new WeakMap<IntrospectionResult, ReadonlySet<string>>();

/** The granted scopes as a set, parsed once per (frozen, cached) answer. */
function grantedScopes(result: IntrospectionResult): ReadonlySet<string> {
  let granted = scopeSets.get(result);
  if (granted === undefined) {
    granted = new Set(result.scope === undefined ? [] : result.scope.split(' '));
    scopeSets.set(result, granted);
  }
  return granted;
}

function asList(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}
