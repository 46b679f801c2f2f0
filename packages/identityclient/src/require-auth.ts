import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sendRefusal, type Refusal } from './auth-challenge.ts';
import { parseBearerHeader } from './bearer-header.ts';
import { IdentityUnavailableError, InsufficientScopeError, InvalidTokenError } from './errors.ts';
import { checkTokenClaims } from './token-claims.ts';
import { countRejectedToken } from './token-refusals.ts';
import type { IdentityClient, RequireAuthOptions } from './types.ts';

/**
 * Express middleware that admits a request only with an active bearer token meeting `options`
 * and sets `req.auth` to its introspection answer. Refusals follow RFC 6750: 401 without
 * credentials or with a bad token, 400 for a malformed header, 403 `insufficient_scope`, and 503
 * with `Retry-After` when the identity service is unavailable (never 401).
 */
export function requireAuth(identity: IdentityClient, options: RequireAuthOptions = {}): RequestHandler {
  const realm = options.realm ?? 'api';
  const requirements = { ...options };
  return (req: Request, res: Response, next: NextFunction) => {
    const credentials = parseBearerHeader(req.headers.authorization, identity.maxTokenLength);
    switch (credentials.kind) {
      case 'missing':
        return sendRefusal(res, realm, { status: 401, detail: 'a bearer token is required' });
      case 'malformed':
        countRejectedToken(credentials.rejection);
        return sendRefusal(res, realm, { status: 400, error: 'invalid_request', detail: credentials.description });
      case 'too_long':
        countRejectedToken('too_long');
        return sendRefusal(res, realm, { status: 401, error: 'invalid_token', detail: 'the token is too long' });
    }
    identity.introspect(credentials.token, { tokenTypeHint: 'access_token' }).then(
      (result) => {
        try {
          checkTokenClaims(result, requirements);
        } catch (error) {
          const refusal = refusalFor(error);
          if (refusal === undefined) return next(error);
          return sendRefusal(res, realm, refusal);
        }
        req.auth = result;
        next();
      },
      (error: unknown) => {
        const refusal = refusalFor(error);
        if (refusal === undefined) return next(error);
        sendRefusal(res, realm, refusal);
      },
    );
  };
}

function refusalFor(error: unknown): Refusal | undefined {
  if (error instanceof InvalidTokenError) return { status: 401, error: 'invalid_token', detail: error.message };
  if (error instanceof InsufficientScopeError)
    return { status: 403, error: 'insufficient_scope', detail: error.message, scope: error.requiredScopes };
  if (error instanceof IdentityUnavailableError)
    return {
      status: 503,
      detail: 'the identity service is unavailable; retry later',
      retryAfterSeconds: error.retryAfterSeconds,
    };
  return undefined;
}
