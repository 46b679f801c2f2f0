// identity: a real OAuth 2.0 authorization server (oidc-provider) with client_credentials and
// introspection, served through an httpkit app so its own SERVER spans join the caller's trace.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createApp } from '@service-runtime/httpkit';
import { startIdentityProvider } from '../../../../test/helpers/identity-provider.ts';
import { announceReady, requireEnv } from './ready.ts';

const provider = await startIdentityProvider({
  port: Number(process.env['PORT'] ?? 0),
  host: process.env['HOST'] ?? '127.0.0.1',
  tokenClient: { clientId: requireEnv('DEMO_TOKEN_CLIENT_ID'), clientSecret: requireEnv('DEMO_TOKEN_CLIENT_SECRET') },
  introspectionClient: {
    clientId: requireEnv('IDENTITY_CLIENT_ID'),
    clientSecret: requireEnv('IDENTITY_CLIENT_SECRET'),
  },
  wrap: (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
    const app = createApp({ accessLog: true });
    const forward = (req: IncomingMessage, res: ServerResponse) => handler(req, res);
    app.post('/token', forward);
    app.post('/token/introspection', forward);
    app.post('/token/revocation', forward);
    app.get('/.well-known/openid-configuration', forward);
    app.get('/jwks', forward);
    return app;
  },
});

announceReady({ url: provider.issuer, introspectionUrl: provider.introspectionUrl, tokenUrl: provider.tokenUrl });
