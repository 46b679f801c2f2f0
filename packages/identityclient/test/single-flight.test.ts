import { SpanKind, trace } from '@opentelemetry/api';
import { beforeEach, describe, expect, it } from 'vitest';
import { createIdentityClient } from '../src/index.ts';
import { silentLogger } from './fixtures/captured-logger.ts';
import { useStubHarness } from './fixtures/stub-harness.ts';

const { telemetry, stub } = useStubHarness();
beforeEach(() => {
  telemetry.reset();
  stub.reply(() => ({ body: { active: true, scope: 'orders:read' }, delayMs: 50 }));
});

const client = () =>
  createIdentityClient({ introspectionUrl: stub.url, clientId: 'c', clientSecret: 's', logger: silentLogger });

describe('single-flight', () => {
  it('makes exactly one upstream call for 1,000 concurrent introspections of one cold token', async () => {
    const identity = client();
    const before = stub.requests.length;
    const results = await Promise.all(Array.from({ length: 1000 }, () => identity.introspect('cold-token')));
    expect(stub.requests.length - before).toBe(1);
    expect(results.every((result) => result.active && result.scope === 'orders:read')).toBe(true);
  });

  it("links every joiner's span to the CLIENT span that made the call", async () => {
    const identity = client();
    await trace.getTracer('test').startActiveSpan('request', async (root) => {
      await Promise.all([identity.introspect('shared'), identity.introspect('shared'), identity.introspect('shared')]);
      root.end();
    });
    const spans = telemetry.spans();
    const clientSpans = spans.filter((span) => span.kind === SpanKind.CLIENT);
    const joiners = spans.filter((span) => span.attributes['identity.cache'] === 'coalesced');
    expect(clientSpans).toHaveLength(1);
    expect(joiners).toHaveLength(2);
    for (const joiner of joiners) {
      expect(joiner.links[0]?.context.spanId).toBe(clientSpans[0]?.spanContext().spanId);
      expect(joiner.attributes['identity.token.active']).toBe(true);
    }
  });

  it('lets one waiter abort without cancelling the call for the others', async () => {
    stub.reply(() => ({ body: { active: true }, delayMs: 300 }));
    const identity = client();
    const controller = new AbortController();
    const aborted = identity.introspect('abort-one', { signal: controller.signal });
    const other = identity.introspect('abort-one');
    controller.abort(new Error('client went away'));
    await expect(aborted).rejects.toThrow('client went away');
    expect((await other).active).toBe(true);
  });

  it('cancels the upstream call once every waiter aborted, without counting it against the breaker', async () => {
    stub.reply(() => ({ hang: true }));
    const identity = createIdentityClient({
      introspectionUrl: stub.url,
      clientId: 'c',
      clientSecret: 's',
      logger: silentLogger,
      timeoutMs: 60_000,
      breaker: { failureThreshold: 1 },
    });
    const controllers = [new AbortController(), new AbortController()];
    const waits = controllers.map((controller) => identity.introspect('abandoned', { signal: controller.signal }));
    await expect.poll(() => stub.requests.at(-1)?.form.get('token')).toBe('abandoned');
    for (const controller of controllers) controller.abort();
    for (const wait of waits) await expect(wait).rejects.toMatchObject({ name: 'AbortError' });
    await expect
      .poll(() => telemetry.spans().find((span) => span.kind === SpanKind.CLIENT)?.attributes['error.type'])
      .toBe('aborted');
    expect(identity.breakerState).toBe('closed');
  });
});
