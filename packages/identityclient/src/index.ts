export { createIdentityClient } from './identity-client.ts';
export { requireAuth } from './require-auth.ts';
export { checkTokenClaims } from './token-claims.ts';
export { IdentityUnavailableError, InvalidTokenError, InsufficientScopeError, IdentityConfigError } from './errors.ts';

export type {
  IdentityClient,
  IdentityClientOptions,
  IntrospectionResult,
  IntrospectOptions,
  ClientAuthMethod,
  Credential,
  CredentialValue,
  CacheOptions,
  NewTokenLimitOptions,
  RetryOptions,
  BreakerOptions,
  BreakerState,
  TokenRequirements,
  RequireAuthOptions,
} from './types.ts';
export type { UnavailableReason, InvalidTokenReason, RawResponse } from './errors.ts';
