import { trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { createIdentityClient, requireAuth } from '../src/index.ts';
import { capturedLogger } from './fixtures/captured-logger.ts';
import { startGuardedApp } from './fixtures/guarded-app.ts';
import { useStubHarness } from './fixtures/stub-harness.ts';
import type { StubReply } from './fixtures/stub-introspection-server.ts';

const TOKEN = 'SECRET-TOKEN-must-never-leak-7f3a9c';
const CLIENT_SECRET = 'CLIENT-SECRET-must-never-leak-41be';
const SUBJECT = 'alice-subject-8812';

const { telemetry, stub } = useStubHarness();

function dumpSpans(spans: ReadableSpan[]): string {
  return JSON.stringify(
    spans.map((span) => ({
      name: span.name,
      attributes: span.attributes,
      events: span.events,
      links: span.links,
      status: span.status,
    })),
  );
}

const echoingReplies: StubReply[] = [
  { body: { active: true, scope: 'orders:read', sub: SUBJECT, username: SUBJECT } },
  { body: { active: false } },
  { status: 500, body: `<html>error for token ${TOKEN}</html>`, contentType: 'text/html' },
  { body: `<html>login page, token=${TOKEN}</html>`, contentType: 'text/html' },
  { body: `{"active": "true", "token": "${TOKEN}"` },
  { body: { active: 'yes', echoed: TOKEN } },
  { destroy: true },
  { hang: true },
];

describe('nothing secret in spans, logs, errors or responses', () => {
  it('never records the token, the client secret, the Authorization header or the body', async () => {
    const { logger, lines } = capturedLogger();
    const messages: string[] = [];
    for (const reply of echoingReplies) {
      stub.reply(() => reply);
      const identity = createIdentityClient({
        introspectionUrl: stub.url,
        clientId: 'gateway',
        clientSecret: CLIENT_SECRET,
        timeoutMs: 200,
        retry: { attempts: 1, backoffMs: 1 },
        breaker: { failureThreshold: 1, resetMs: 60_000 },
        logger,
      });
      await trace.getTracer('test').startActiveSpan('request', async (span) => {
        for (let i = 0; i < 2; i++) {
          await identity.introspect(TOKEN).then(
            () => undefined,
            (error: Error) => messages.push(error.message, String(error.stack), JSON.stringify(error)),
          );
        }
        span.end();
      });
    }
    const everything = [dumpSpans(telemetry.spans()), ...lines, ...messages].join('\n');
    expect(telemetry.spans().length).toBeGreaterThan(10);
    expect(lines.length).toBeGreaterThan(3);
    for (const secret of [TOKEN, CLIENT_SECRET, Buffer.from(`gateway:${CLIENT_SECRET}`).toString('base64'), SUBJECT])
      expect(everything).not.toContain(secret);
    expect(everything).not.toContain('login page');
  });

  it('records sub and username only when recordSubject is on', async () => {
    stub.reply(() => ({ body: { active: true, sub: SUBJECT, username: 'alice' } }));
    telemetry.reset();
    const base = { introspectionUrl: stub.url, clientId: 'c', clientSecret: 's', cache: false as const };
    await createIdentityClient(base).introspect('t1');
    expect(dumpSpans(telemetry.spans())).not.toContain(SUBJECT);
    telemetry.reset();
    await createIdentityClient({ ...base, recordSubject: true }).introspect('t2');
    expect(telemetry.spans()[0]?.attributes).toMatchObject({ 'user.id': SUBJECT, 'user.name': 'alice' });
  });

  it('records url.full without the query string', async () => {
    stub.reply(() => ({ body: { active: true } }));
    telemetry.reset();
    const url = `${stub.url}?api_key=${CLIENT_SECRET}`;
    await createIdentityClient({ introspectionUrl: url, clientId: 'c', clientSecret: 's' }).introspect('t3');
    expect(telemetry.spans()[0]?.attributes['url.full']).toBe(stub.url);
    expect(stub.requests.at(-1)?.form.get('token')).toBe('t3');
  });

  it('does not echo the token in requireAuth refusals', async () => {
    const identity = createIdentityClient({ introspectionUrl: stub.url, clientId: 'c', clientSecret: 's' });
    await using app = await startGuardedApp({ '/orders': requireAuth(identity, { scopes: ['orders:admin'] }) });
    for (const reply of [{ body: { active: false } }, { body: { active: true } }, { status: 500, body: TOKEN }]) {
      stub.reply(() => reply);
      identity.clearCache();
      const response = await fetch(`${app.url}/orders`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const text = `${[...response.headers].join('\n')}\n${await response.text()}`;
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(text).not.toContain(TOKEN);
    }
  });

  it('refuses impossible tokens before any cache entry or upstream call: counted by reason, never logged', async () => {
    const { logger, lines } = capturedLogger();
    const identity = createIdentityClient({ introspectionUrl: stub.url, clientId: 'c', clientSecret: 's', logger });
    await using app = await startGuardedApp({ '/orders': requireAuth(identity) });
    const count = async (rejection: string) =>
      Number(
        new RegExp(`identity_token_rejected_total\\{[^}]*identity_token_rejection="${rejection}"[^}]*\\} (\\d+)`).exec(
          await telemetry.prometheusText(),
        )?.[1] ?? 0,
      );
    const before = {
      empty: await count('empty'),
      too_long: await count('too_long'),
      malformed: await count('malformed'),
    };
    const requests = stub.requests.length;
    const bad = [`${TOKEN}{x}`, `${TOKEN} ${TOKEN}`, `${TOKEN}ä`];
    for (const token of bad)
      await expect(identity.introspect(token)).rejects.toMatchObject({ code: 'INVALID_TOKEN', reason: 'malformed' });
    await expect(identity.introspect('')).rejects.toMatchObject({ reason: 'malformed' });
    await expect(identity.introspect(TOKEN.repeat(200))).rejects.toMatchObject({ reason: 'too_long' });
    const statuses: number[] = [];
    for (const header of [`Bearer ${TOKEN}{x}`, `Bearer ${TOKEN.repeat(200)}`, 'Bearer '])
      statuses.push((await fetch(`${app.url}/orders`, { headers: { authorization: header } })).status);
    expect(statuses).toEqual([400, 401, 400]);
    expect(stub.requests.length).toBe(requests);
    expect(await count('malformed')).toBe(before.malformed + bad.length + 1);
    expect(await count('too_long')).toBe(before.too_long + 2);
    expect(await count('empty')).toBe(before.empty + 2);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('keeps a rotating bearer client token and the callers tokens out of everything on the refresh, throttling and rejection paths', async () => {
    const CLIENT_TOKEN = 'CLIENT-BEARER-must-never-leak-93d1';
    let minted = 0;
    // the first client token is refused (with a body echoing it), so the client fetches a second and retries
    stub.reply((request) =>
      request.headers.authorization === `Bearer ${CLIENT_TOKEN}-1`
        ? { status: 401, body: `{"error":"invalid_token","token":"${CLIENT_TOKEN}-1"}` }
        : { body: { active: false } },
    );
    const { logger, lines } = capturedLogger();
    const identity = createIdentityClient({
      introspectionUrl: stub.url,
      clientAuth: 'bearer',
      bearerToken: () => ({ value: `${CLIENT_TOKEN}-${++minted}`, expiresAt: Date.now() + 60_000 }),
      logger,
      newTokenLimit: { ratePerSecond: 1, burst: 2, maxConcurrent: 1 },
    });
    telemetry.reset();
    const messages: string[] = [];
    const reasons: string[] = [];
    await trace.getTracer('test').startActiveSpan('request', async (span) => {
      const tokens = [
        ...Array.from({ length: 20 }, (_, i) => `${TOKEN}-${i}`),
        `${TOKEN}{x}`,
        TOKEN.repeat(200),
        `${TOKEN} ${TOKEN}`,
      ];
      for (const outcome of await Promise.allSettled(tokens.map((token) => identity.introspect(token)))) {
        if (outcome.status === 'fulfilled') continue;
        const error = outcome.reason as Error & { reason: string };
        reasons.push(error.reason);
        messages.push(error.message, String(error.stack), JSON.stringify(error));
      }
      span.end();
    });
    // every path ran: a refused client token replaced, throttled and screened tokens
    expect(minted).toBe(2);
    expect(stub.requests.at(-1)?.headers.authorization).toBe(`Bearer ${CLIENT_TOKEN}-2`);
    expect(new Set(reasons)).toEqual(new Set(['throttled', 'malformed', 'too_long']));
    expect(telemetry.spans().some((span) => span.events.some((event) => event.name === 'retry'))).toBe(true);
    const everything = [dumpSpans(telemetry.spans()), ...lines, ...messages, await telemetry.prometheusText()].join(
      '\n',
    );
    expect(lines.some((line) => line.includes('new-token limit'))).toBe(true);
    for (const secret of [TOKEN, CLIENT_TOKEN]) expect(everything).not.toContain(secret);
  });

  it('refuses a bearer client token that is not a b64token without quoting it (fetch would, in its error)', async () => {
    const CLIENT_TOKEN = 'CLIENT-BEARER-must-never-leak-5e07';
    const { logger, lines } = capturedLogger();
    const identity = createIdentityClient({
      introspectionUrl: stub.url,
      clientAuth: 'bearer',
      bearerToken: () => `${CLIENT_TOKEN}\nsecond-line`,
      retry: false,
      logger,
    });
    telemetry.reset();
    const requests = stub.requests.length;
    const error = await trace.getTracer('test').startActiveSpan('request', async (span) => {
      const failure = await identity.introspect(TOKEN).catch((e: unknown) => e as Error);
      span.end();
      return failure;
    });
    expect(error).toMatchObject({ code: 'IDENTITY_UNAVAILABLE', reason: 'credentials' });
    expect(stub.requests.length).toBe(requests);
    expect(lines.length).toBeGreaterThan(0);
    const everything = [dumpSpans(telemetry.spans()), ...lines, String(error?.stack), String(error?.cause)];
    expect(everything.join('\n')).not.toContain(CLIENT_TOKEN);
    const fixed = { introspectionUrl: stub.url, clientAuth: 'bearer' as const, bearerToken: `${CLIENT_TOKEN} x` };
    expect(() => createIdentityClient(fixed)).toThrow(/not an RFC 6750 b64token/);
    expect(() => createIdentityClient(fixed)).not.toThrow(CLIENT_TOKEN);
  });

  it('warns about throttling once for a burst of refusals, never naming a token', async () => {
    stub.reply(() => ({ body: { active: false } }));
    const { logger, lines } = capturedLogger();
    const identity = createIdentityClient({
      introspectionUrl: stub.url,
      clientId: 'c',
      clientSecret: 's',
      logger,
      newTokenLimit: { ratePerSecond: 1, burst: 1, maxConcurrent: 1 },
    });
    const tokens = Array.from({ length: 50 }, (_, i) => `${TOKEN}-${i}`);
    const outcomes = await Promise.allSettled(tokens.map((token) => identity.introspect(token)));
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toHaveLength(49);
    const warnings = lines.filter((line) => line.includes('new-token limit'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 'warn', refused: 1, limit: 'concurrency' });
    expect(lines.join('\n')).not.toContain(TOKEN);
  });
});
