import { camelCase, type GeneratedFile, type TemplateContext } from './template-context.ts';

/** src/app.ts, src/events.ts, src/main.ts and their tests. */
export function sourceFiles(ctx: TemplateContext): GeneratedFile[] {
  const { name } = ctx;
  const handler = `${camelCase(name)}ItemCreated`;
  return [
    {
      path: 'src/app.ts',
      content: `import { createApp, sendProblem } from '@service-runtime/httpkit';
import { type IdentityClient, requireAuth } from '@service-runtime/identityclient';
import { getTraceIds } from '@service-runtime/observability';
import type { Express } from 'express';

/** Subject of the event POST /items publishes. */
export const ITEM_CREATED = '${name}.item.created';

/** What the HTTP layer needs; main.ts passes the real identity client and bus. */
export interface AppDeps {
  identity: IdentityClient;
  publish: (subject: string, event: { type: string; subject?: string; data: unknown }) => Promise<{ id: string }>;
}

/**
 * The service's routes on httpkit's default chain: every request gets a server span named by its
 * route, an access-log line and a metric; /healthz, /readyz and /metrics are already there.
 */
export function buildApp({ identity, publish }: AppDeps): Express {
  const app = createApp();

  app.get('/hello/:who', (req, res) => {
    res.json({ hello: req.params.who, trace_id: getTraceIds().trace_id });
  });

  app.post('/items', requireAuth(identity, { scopes: ['${name}:write'] }), async (req, res) => {
    const { name } = (req.body ?? {}) as { name?: unknown };
    if (typeof name !== 'string' || name.trim() === '') {
      sendProblem(res, 400, 'name (a non-empty string) is required');
      return;
    }
    const { id } = await publish(ITEM_CREATED, { type: 'com.example.${name}.item.created', data: { name } });
    res.status(202).json({ eventId: id, trace_id: getTraceIds().trace_id });
  });

  return app;
}
`,
    },
    {
      path: 'src/events.ts',
      content: `import type { CloudEvent, HandlerContext } from '@service-runtime/natsbus';

/** \`data\` of the item-created event. */
export interface ItemCreated {
  name: string;
}

/**
 * Handles one item-created event. It runs inside the CONSUMER span, so HTTP calls and publishes
 * made here continue the producer's trace; a throw marks the span ERROR and the message is retried.
 */
export async function ${handler}(event: CloudEvent<ItemCreated>, ctx: HandlerContext): Promise<void> {
  if (typeof event.data?.name !== 'string') throw new Error('item-created event without a name');
  ctx.logger.info({ item: event.data.name, eventId: event.id }, 'item created');
}
`,
    },
    {
      path: 'src/main.ts',
      content: `// Start with: node --import @service-runtime/observability/register dist/src/main.js
// (observability is set up from OTEL_* variables before this module loads).
import { addReadinessCheck, listen } from '@service-runtime/httpkit';
import { createIdentityClient } from '@service-runtime/identityclient';
import { createBus } from '@service-runtime/natsbus';
import { getLogger } from '@service-runtime/observability';
import { buildApp, ITEM_CREATED } from './app.ts';
import { ${handler} } from './events.ts';

// NATS_URL, NATSBUS_*; close() is registered for SIGTERM, after the HTTP server has drained.
const bus = await createBus({ source: 'urn:service:${name}', name: '${name}' });
// IDENTITY_INTROSPECTION_URL, IDENTITY_CLIENT_ID, IDENTITY_CLIENT_SECRET, ...
const identity = createIdentityClient();

bus.subscribe(ITEM_CREATED, ${handler}, { queue: '${name}', deadLetterSubject: 'deadletter.${name}', timeoutMs: 10_000 });

const app = buildApp({ identity, publish: (subject, event) => bus.publish(subject, event) });
addReadinessCheck(app, 'nats', () => {
  if (bus.connection.isClosed()) throw new Error('NATS connection closed');
});

const server = await listen(app, { port: Number(process.env['PORT'] ?? 8080) });
getLogger().info({ url: server.url }, '${name} listening');
`,
    },
    {
      path: 'test/app.test.ts',
      content: `import type { AddressInfo } from 'node:net';
import { createIdentityClient } from '@service-runtime/identityclient';
import { setupTestTelemetry } from '@service-runtime/observability/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, ITEM_CREATED } from '../src/app.ts';

const telemetry = setupTestTelemetry({ serviceName: '${name}' });
const published: { subject: string; type: string }[] = [];
// No token reaches the identity service in these tests, so its URL is never called.
const identity = createIdentityClient({ introspectionUrl: 'http://127.0.0.1:9/introspect', clientId: 'test', clientSecret: 'test-secret' });
const app = buildApp({
  identity,
  publish: async (subject, event) => {
    published.push({ subject, type: event.type });
    return { id: 'evt-1' };
  },
});
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = \`http://127.0.0.1:\${(server.address() as AddressInfo).port}\`;

afterAll(async () => {
  server.close();
  await telemetry.shutdown();
});

describe('${name} HTTP routes', () => {
  it('answers GET /hello/:who inside a server span named by its route', async () => {
    const response = await fetch(\`\${base}/hello/ada\`);
    const body = (await response.json()) as { hello: string; trace_id: string };
    expect(response.status).toBe(200);
    expect(body.hello).toBe('ada');
    await expect.poll(() => telemetry.spans().map((s) => s.name)).toContain('GET /hello/:who');
    const span = telemetry.spans().find((s) => s.name === 'GET /hello/:who');
    expect(span?.spanContext().traceId).toBe(body.trace_id);
  });

  it('refuses POST /items without a bearer token and publishes nothing', async () => {
    const response = await fetch(\`\${base}/items\`, { method: 'POST', body: '{"name":"x"}', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(published.filter((p) => p.subject === ITEM_CREATED)).toHaveLength(0);
  });

  it('is live on /healthz', async () => {
    expect((await fetch(\`\${base}/healthz\`)).status).toBe(200);
  });
});
`,
    },
    {
      path: 'test/events.test.ts',
      content: `import { getLogger } from '@service-runtime/observability';
import type { CloudEvent, HandlerContext } from '@service-runtime/natsbus';
import { describe, expect, it } from 'vitest';
import { type ItemCreated, ${handler} } from '../src/events.ts';

// The handler only logs; the bus gives it a real span and logger at run time.
const ctx = { subject: '${name}.item.created', headers: undefined, logger: getLogger() } as unknown as HandlerContext;
const event = (data: unknown) =>
  ({ specversion: '1.0', id: '1', source: 'test', type: 'com.example.${name}.item.created', data }) as CloudEvent<ItemCreated>;

describe('${handler}', () => {
  it('accepts an event with a name', async () => {
    await expect(${handler}(event({ name: 'widget' }), ctx)).resolves.toBeUndefined();
  });

  it('rejects an event without a name, so the bus retries or dead-letters it', async () => {
    await expect(${handler}(event({}), ctx)).rejects.toThrow(/without a name/);
  });
});
`,
    },
  ];
}
