// Arbitrary Authorization headers into requireAuth, and arbitrary introspection answers (non-JSON,
// wrong member types, other statuses, huge or slow bodies) from a local stub: each gets a clear
// answer (RFC 6750 401/400, 503 + Retry-After, or a typed IdentityUnavailableError with its reason),
// the CLIENT span says ERROR with error.type exactly when the call failed, the token is never echoed,
// and the next valid token is admitted.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { createApp, listen, type RunningServer } from '@service-runtime/httpkit';
import {
  createIdentityClient,
  type IdentityClient,
  IdentityUnavailableError,
  requireAuth,
} from '@service-runtime/identityclient';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerText, watchUnhandledRejections } from './trace-context-arbitraries.ts';

const MAX_TOKEN = 64;
const TIMEOUT_MS = 300;
const GOOD = JSON.stringify({ active: true, scope: 'read', client_id: 'c' });

/** How the stub answers one token. */
interface Script {
  status: number;
  contentType?: string;
  body: string | Buffer;
  /** Send part of the body, then stall past the client's timeout. */
  stall?: boolean;
  /** Stream this many bytes of a JSON string member before closing the object. */
  padBytes?: number;
}

let telemetry: TestTelemetry;
let stub: Server;
let app: RunningServer;
let identity: IdentityClient;
const scripts = new Map<string, Script>();
const stalled = new Set<ServerResponse>();
const rejections = watchUnhandledRejections();
let tokens = 0;

function answer(req: IncomingMessage, res: ServerResponse, form: string): void {
  const token = new URLSearchParams(form).get('token') ?? '';
  const script = scripts.get(token) ?? {
    status: 200,
    contentType: 'application/json',
    body: GOOD,
  };
  const headers: Record<string, string> =
    script.contentType === undefined ? {} : { 'content-type': script.contentType };
  if (script.stall) {
    res.writeHead(script.status, headers).write(Buffer.from(script.body).subarray(0, 5));
    stalled.add(res);
    res.on('close', () => stalled.delete(res));
    return;
  }
  if (script.padBytes !== undefined) {
    res.writeHead(script.status, headers);
    res.write('{"active":true,"pad":"');
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let left = script.padBytes;
    const pump = () => {
      while (left > 0) {
        left -= chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end('"}');
    };
    res.on('error', () => undefined);
    req.socket.on('close', () => {
      left = 0;
    });
    return pump();
  }
  res.writeHead(script.status, headers).end(script.body);
}

beforeAll(async () => {
  process.env['LOG_LEVEL'] ??= 'silent';
  telemetry = setupTestTelemetry({ serviceName: 'properties-identity' });
  stub = createServer((req, res) => {
    let form = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      form += chunk;
    });
    req.on('end', () => answer(req, res, form));
  });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  identity = createIdentityClient({
    introspectionUrl: `http://127.0.0.1:${(stub.address() as AddressInfo).port}/introspect`,
    clientId: 'gw',
    clientSecret: 'gw-secret',
    cache: false,
    retry: false,
    breaker: false,
    timeoutMs: TIMEOUT_MS,
    maxTokenLength: MAX_TOKEN,
  });
  const api = createApp({ accessLog: false });
  api.get('/guarded', requireAuth(identity, { scopes: ['read'] }), (req, res) => {
    res.json({ client: req.auth?.client_id });
  });
  app = await listen(api, { host: '127.0.0.1', closeOnShutdown: false });
});

afterAll(async () => {
  for (const res of stalled) res.destroy();
  await app.close();
  stub.closeAllConnections();
  await new Promise<void>((resolve) => stub.close(() => resolve()));
  await telemetry.shutdown();
  rejections.dispose();
});

async function guarded(authorization: string | undefined) {
  const response = await fetch(`${app.url}/guarded`, {
    headers: authorization === undefined ? {} : { authorization },
  });
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    retryAfter: response.headers.get('retry-after'),
    body: await response.text(),
  };
}

/** The next valid token is admitted: nothing was left broken. */
async function expectHealthy(): Promise<void> {
  const answer = await guarded(`Bearer fresh${++tokens}`);
  expect(answer.status).toBe(200);
  rejections.check();
}

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** RFC 6750 §2.1 and the README's table: the answer requireAuth owes this header. */
function expectedStatus(header: string): { status: number; error?: string } {
  const value = header.trim();
  if (value === '') return { status: 401 };
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') return { status: 401 };
  const token = space === -1 ? '' : value.slice(space + 1).trim();
  if (token === '') return { status: 400, error: 'invalid_request' };
  if (token.length > MAX_TOKEN) return { status: 401, error: 'invalid_token' };
  if (!B64TOKEN.test(token)) return { status: 400, error: 'invalid_request' };
  return { status: 200 };
}

const b64 = fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,80}={0,2}$/);

describe('requireAuth: arbitrary Authorization headers', () => {
  it('answers 200, 400 or 401 exactly as RFC 6750 says, never echoing the credentials', async () => {
    const header = fc.oneof(
      headerText(120),
      b64.map((t) => `Bearer ${t}`),
      fc
        .tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Bearer\t', 'Token'), headerText(90))
        .map(([scheme, rest]) => `${scheme} ${rest}`),
      fc
        .tuple(fc.constantFrom('Bearer ', 'Bearer  ', 'Bearer'), b64, fc.constantFrom('', ' ', '==', ' x'))
        .map(([a, b, c]) => a + b + c),
    );
    await fc.assert(
      fc.asyncProperty(header, async (authorization) => {
        const answer = await guarded(authorization);
        const expected = expectedStatus(authorization);
        expect(answer.status).toBe(expected.status);
        if (answer.status !== 200) {
          expect(answer.challenge).toMatch(/^Bearer realm="api"/);
          if (expected.error !== undefined) expect(answer.challenge).toContain(`error="${expected.error}"`);
          const token = authorization.trim().split(' ').slice(1).join(' ').trim();
          if (token.length >= 8) expect(answer.body).not.toContain(token);
          expect(JSON.parse(answer.body)).toMatchObject({
            status: answer.status,
          });
        }
        await expectHealthy();
      }),
      { numRuns: 150 },
    );
  });
});

/** An answer whose registered members may have the wrong type. */
const member = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constant(null), fc.jsonValue());
const answerObject = fc.record(
  {
    active: fc.oneof(fc.boolean(), fc.constant('true'), fc.constant(1), fc.constant(null)),
    scope: fc.oneof(fc.constant('read'), member),
    client_id: member,
    exp: fc.oneof(fc.integer({ min: 4_000_000_000, max: 5_000_000_000 }), member),
    aud: fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), member),
    iss: member,
    extension: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

const scriptArb: fc.Arbitrary<Script> = fc.oneof(
  {
    weight: 4,
    arbitrary: answerObject.map((o) => ({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify(o),
    })),
  },
  {
    weight: 2,
    arbitrary: fc.json().map((body) => ({ status: 200, contentType: 'application/json', body })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      status: fc.constant(200),
      contentType: fc.constantFrom('text/html', 'application/json', 'text/plain'),
      body: fc.oneof(
        headerText(200),
        fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      status: fc.constantFrom(201, 204, 301, 302, 400, 401, 403, 404, 429, 500, 502, 503),
      contentType: fc.constant('application/json'),
      body: fc.constant(GOOD),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constant({
      status: 200,
      contentType: 'application/json',
      body: GOOD,
      stall: true,
    }),
  },
);

/** What `introspect` owes a script: the result, or the reason of the IdentityUnavailableError. */
function expectedOutcome(script: Script): { reason: string } | { result: Record<string, unknown> } {
  if (script.stall) return { reason: 'timeout' };
  if (script.status !== 200) return { reason: 'http_status' };
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8').decode(Buffer.from(script.body)));
  } catch {
    return { reason: 'malformed_response' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { reason: 'malformed_response' };
  const o = body as Record<string, unknown>;
  if (typeof o['active'] !== 'boolean') return { reason: 'malformed_response' };
  for (const k of ['scope', 'client_id', 'username', 'token_type', 'sub', 'iss', 'jti'])
    if (o[k] !== undefined && typeof o[k] !== 'string') return { reason: 'malformed_response' };
  for (const k of ['exp', 'iat', 'nbf'])
    if (o[k] !== undefined && (typeof o[k] !== 'number' || !Number.isFinite(o[k])))
      return { reason: 'malformed_response' };
  const aud = o['aud'];
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string')))
    return { reason: 'malformed_response' };
  return { result: o };
}

describe('identity client: arbitrary introspection answers', () => {
  it('a typed result or an IdentityUnavailableError with the reason; ERROR span exactly on failure; 503 via requireAuth', async () => {
    await fc.assert(
      fc.asyncProperty(scriptArb, async (script) => {
        const token = `t${++tokens}`;
        scripts.set(token, script);
        telemetry.reset();
        const expected = expectedOutcome(script);
        const outcome = await identity.introspect(token).then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        );
        const span = telemetry.spans().find((s) => s.kind === SpanKind.CLIENT);
        if ('reason' in expected) {
          expect('error' in outcome && outcome.error).toBeInstanceOf(IdentityUnavailableError);
          const error = (outcome as { error: IdentityUnavailableError }).error;
          expect(error.reason).toBe(expected.reason);
          const quoted = String(script.body).slice(0, 40);
          if (quoted.length >= 12) expect(error.message).not.toContain(quoted);
          expect(span?.status.code).toBe(SpanStatusCode.ERROR);
          expect(span?.attributes['error.type']).toBe(
            expected.reason === 'http_status' ? String(script.status) : expected.reason,
          );
          const viaMiddleware = await guarded(`Bearer ${token}`);
          expect(viaMiddleware.status).toBe(503);
          expect(Number(viaMiddleware.retryAfter)).toBeGreaterThanOrEqual(1);
        } else {
          expect('result' in outcome && outcome.result).toEqual(expected.result);
          expect(Object.isFrozen((outcome as { result: object }).result)).toBe(true);
          expect(span?.status.code).not.toBe(SpanStatusCode.ERROR);
          const viaMiddleware = await guarded(`Bearer ${token}`);
          expect([200, 401, 403]).toContain(viaMiddleware.status);
        }
        scripts.delete(token);
        await expectHealthy();
      }),
      { numRuns: 100 },
    );
  });

  it('an answer far larger than any introspection answer is refused, not buffered whole', async () => {
    const token = `huge${++tokens}`;
    scripts.set(token, {
      status: 200,
      contentType: 'application/json',
      body: '',
      padBytes: 64 * 1024 * 1024,
    });
    const error = await identity.introspect(token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityUnavailableError);
    expect((error as IdentityUnavailableError).reason).toBe('malformed_response');
    await expectHealthy();
  });
});
