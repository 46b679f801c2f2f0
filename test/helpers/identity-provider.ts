import { generateKeyPair, type KeyObject } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options for {@link startIdentityProvider}. */
export interface IdentityProviderOptions {
  /** Scopes the client_credentials client may request. Default `orders:read orders:write`. */
  scopes?: string[];
  /** Lifetime of minted access tokens, in seconds. Default 600. */
  tokenTtlSeconds?: number;
  /** Resource indicators (audiences) a token may be minted for. Default `['urn:service-runtime:orders']`. */
  resources?: string[];
  /** Port to listen on; default a free one. */
  port?: number;
  /** Interface to bind; default `127.0.0.1` (`0.0.0.0` in a container). The issuer names 127.0.0.1 then. */
  host?: string;
  /** Credentials of the client_credentials client; default fixed test values. */
  tokenClient?: ProviderClient;
  /** Credentials of the resource server's introspection client; default fixed test values. */
  introspectionClient?: ProviderClient;
  /** Wraps the provider's request handler, e.g. in an httpkit app so the provider gets server spans. */
  wrap?: (
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ) => (req: IncomingMessage, res: ServerResponse) => void;
}

/** A confidential client registered at the provider. */
export interface ProviderClient {
  clientId: string;
  clientSecret: string;
}

/** What the provider saw on one introspection request: its headers, without Authorization. */
export interface ReceivedIntrospection {
  headers: IncomingHttpHeaders;
  /** Scheme of the Authorization header (`Basic`, `Bearer`), never its value; undefined when absent. */
  authorizationScheme: string | undefined;
}

/** A real OAuth 2.0 authorization server (`oidc-provider`) on loopback, disposable with `await using`. */
export interface IdentityProvider extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`; also the `iss` of every token. */
  readonly issuer: string;
  readonly introspectionUrl: string;
  readonly tokenUrl: string;
  readonly revocationUrl: string;
  /** The client that mints tokens (client_credentials grant). */
  readonly tokenClient: ProviderClient;
  /** The resource server's confidential client, authenticating with `client_secret_basic`. */
  readonly introspectionClient: ProviderClient;
  /** The same, authenticating with `client_secret_post`. */
  readonly introspectionPostClient: ProviderClient;
  /** Headers of every introspection request received so far, oldest first. */
  readonly received: ReceivedIntrospection[];
  /** Mints an opaque access token; `resource` sets its audience. */
  mintToken(options?: { scope?: string; resource?: string }): Promise<string>;
  /** Revokes a token minted by {@link mintToken}. */
  revoke(token: string): Promise<void>;
  close(): Promise<void>;
}

/** The parts of oidc-provider's API this fixture uses (the package ships no type declarations). */
interface ProviderInstance {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
interface ProviderModule {
  default: (new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance) & {
    errors: { InvalidTarget: new () => Error };
  };
}

const DEFAULT_SCOPES = ['orders:read', 'orders:write'];
const DEFAULT_RESOURCES = ['urn:service-runtime:orders'];

/**
 * Starts `oidc-provider` in-process on a free loopback port with the client_credentials grant,
 * opaque access tokens, introspection and revocation enabled. Reused by tests, benchmarks and the demo,
 * so it imports nothing from a test framework.
 */
export async function startIdentityProvider(options: IdentityProviderOptions = {}): Promise<IdentityProvider> {
  const scopes = options.scopes ?? DEFAULT_SCOPES;
  const resources = options.resources ?? DEFAULT_RESOURCES;
  const tokenClient = options.tokenClient ?? {
    clientId: 'orders-client',
    clientSecret: 'orders-client-secret-0123456789',
  };
  const introspectionClient = options.introspectionClient ?? {
    clientId: 'gateway',
    clientSecret: 'gateway-secret-0123456789abcdef',
  };
  const introspectionPostClient = { clientId: 'gateway-post', clientSecret: 'gateway-post-secret-0123456789' };
  const received: ReceivedIntrospection[] = [];

  const { default: Provider } = (await import('oidc-provider' as string)) as ProviderModule;
  // The provider is built after the server is listening (its issuer names the port).
  const provided: { handler?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  const serve = (req: IncomingMessage, res: ServerResponse) => provided.handler?.(req, res);
  const wrapped = options.wrap ? options.wrap(serve) : serve;
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/token/introspection')) {
      const { authorization, ...headers } = req.headers;
      received.push({ headers, authorizationScheme: authorization?.split(' ')[0] });
    }
    wrapped(req, res);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const host =
    options.host === undefined || options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const issuer = `http://${host}:${port}`;

  const store = new Map<string, { payload: Record<string, unknown>; expiresAt: number }>();
  const provider = new Provider(issuer, {
    adapter: (name: string) => new MemoryAdapter(name, store),
    jwks: { keys: [await signingKey()] },
    clients: [
      {
        client_id: tokenClient.clientId,
        client_secret: tokenClient.clientSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        scope: scopes.join(' '),
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: introspectionClient.clientId,
        client_secret: introspectionClient.clientSecret,
        grant_types: [],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: introspectionPostClient.clientId,
        client_secret: introspectionPostClient.clientSecret,
        grant_types: [],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    scopes,
    ttl: { ClientCredentials: options.tokenTtlSeconds ?? 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId: string }) =>
          client.clientId === token.clientId,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string | string[]) => oneOf,
        getResourceServerInfo: async (_ctx: unknown, resource: string) => {
          if (!resources.includes(resource)) throw new Provider.errors.InvalidTarget();
          return { scope: scopes.join(' '), audience: resource, accessTokenFormat: 'opaque' as const };
        },
      },
    },
  });
  provided.handler = provider.callback();

  const basic = (client: ProviderClient) =>
    `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;

  const mintToken = async ({ scope, resource }: { scope?: string; resource?: string } = {}) => {
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope !== undefined) body.set('scope', scope);
    if (resource !== undefined) body.set('resource', resource);
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: basic(tokenClient), 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    const json = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
    if (!response.ok || json.access_token === undefined)
      throw new Error(`token request failed: ${response.status} ${json.error ?? ''} ${json.error_description ?? ''}`);
    return json.access_token;
  };

  const revoke = async (token: string) => {
    const response = await fetch(`${issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization: basic(tokenClient), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`revocation failed: ${response.status}`);
  };

  let closed: Promise<void> | undefined;
  const close = () => {
    store.clear();
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  };

  return {
    issuer,
    introspectionUrl: `${issuer}/token/introspection`,
    tokenUrl: `${issuer}/token`,
    revocationUrl: `${issuer}/token/revocation`,
    tokenClient,
    introspectionClient,
    introspectionPostClient,
    received,
    mintToken,
    revoke,
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function signingKey(): Promise<Record<string, unknown>> {
  const { privateKey } = await new Promise<{ privateKey: KeyObject }>((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, _publicKey, key) =>
      error ? reject(error) : resolve({ privateKey: key }),
    ),
  );
  return { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'test-key' };
}

/** oidc-provider's storage contract over one Map, so the fixture prints no quick-start warning. */
class MemoryAdapter {
  readonly name: string;
  readonly store: Map<string, { payload: Record<string, unknown>; expiresAt: number }>;

  constructor(name: string, store: Map<string, { payload: Record<string, unknown>; expiresAt: number }>) {
    this.name = name;
    this.store = store;
  }

  private key(id: string): string {
    return `${this.name}:${id}`;
  }

  async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
    this.store.set(this.key(id), { payload, expiresAt });
  }

  async find(id: string): Promise<Record<string, unknown> | undefined> {
    const entry = this.store.get(this.key(id));
    if (entry === undefined || entry.expiresAt <= Date.now()) return undefined;
    return entry.payload;
  }

  async findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
    return this.findBy('userCode', userCode);
  }

  async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
    return this.findBy('uid', uid);
  }

  async consume(id: string): Promise<void> {
    const entry = this.store.get(this.key(id));
    if (entry) entry.payload['consumed'] = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.store.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [key, entry] of this.store) if (entry.payload['grantId'] === grantId) this.store.delete(key);
  }

  private findBy(field: string, value: string): Record<string, unknown> | undefined {
    const prefix = `${this.name}:`;
    for (const [key, entry] of this.store)
      if (key.startsWith(prefix) && entry.payload[field] === value && entry.expiresAt > Date.now())
        return entry.payload;
    return undefined;
  }
}
