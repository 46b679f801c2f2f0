import { CredentialSource } from './credential-source.ts';
import { IdentityUnavailableError } from './errors.ts';
import type { ResolvedConfig } from './internal-types.ts';
import { isB64Token } from './token-screen.ts';

/** How one introspection request authenticates: an Authorization header, or form members. */
export interface ClientAuthentication {
  readonly authorization: string | undefined;
  readonly form: readonly (readonly [string, string])[];
  /** The credential that went into it, to report it refused. */
  readonly credential: string;
}

/** Client authentication for every request of one client, with credentials that may rotate. */
export interface ClientAuthPlan {
  /** The authentication to send with the next request. */
  current(): Promise<ClientAuthentication>;
  /**
   * The identity service answered 401 to `used`: a rotating credential is dropped so the next request
   * fetches a fresh one. True when retrying may help (the credential can change).
   */
  refused(used: ClientAuthentication): boolean;
}

/** Builds the client authentication of `config`; fixed credentials are encoded once, not per request. */
export function createClientAuthPlan(config: ResolvedConfig): ClientAuthPlan {
  const { clientAuth, clientId } = config;
  const secret = clientAuth === 'bearer' ? config.bearerToken! : config.clientSecret!;
  const source = new CredentialSource(secret, (error) =>
    config.logger.warn({ err: error }, 'refreshing the identity client credential failed; the current one is kept'),
  );
  const build = (credential: string): ClientAuthentication => {
    if (clientAuth === 'bearer') {
      // RFC 6750 §2.1; fetch would refuse anything else with an error quoting the header, token included
      if (!isB64Token(credential))
        throw new IdentityUnavailableError('the bearer client token is not an RFC 6750 b64token', {
          reason: 'credentials',
        });
      return { authorization: `Bearer ${credential}`, form: [], credential };
    }
    if (clientAuth === 'client_secret_post')
      return {
        authorization: undefined,
        form: [
          ['client_id', clientId!],
          ['client_secret', credential],
        ],
        credential,
      };
    const basic = Buffer.from(`${formEncode(clientId!)}:${formEncode(credential)}`).toString('base64');
    return { authorization: `Basic ${basic}`, form: [], credential };
  };
  let last: ClientAuthentication | undefined;
  return {
    async current() {
      const credential = await source.get();
      if (last?.credential !== credential) last = build(credential);
      return last;
    },
    refused(used) {
      source.refused(used.credential);
      return source.rotates;
    },
  };
}

/** RFC 6749 §2.3.1: client credentials are form-encoded before Basic encoding. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
