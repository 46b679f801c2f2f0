import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mesh, startMesh } from '../../examples/mesh-demo/src/mesh.ts';
import { runScenario, type ScenarioResult } from '../../examples/mesh-demo/src/scenario.ts';
import type { OtlpSpan } from '../helpers/otlp-types.ts';

// The demo topology as real processes (identity, billing, gateway, worker), a real nats-server with
// JetStream, spans captured by the OTLP receiver. Built once; each test reads one part of the outcome.
let mesh: Mesh;
let result: ScenarioResult;

beforeAll(async () => {
  mesh = await startMesh();
  result = await runScenario(mesh);
}, 120_000);
afterAll(async () => {
  await mesh?.stop();
});

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;
const ERROR = 2;
const serviceOf = (s: OtlpSpan) => s.resource['service.name'];
const traceOf = (id: string | undefined) => mesh.receiver!.spans.filter((s) => s.traceId === id);
const one = (spans: OtlpSpan[], service: string, kind: number, name?: string) => {
  const found = spans.filter(
    (s) => serviceOf(s) === service && s.kind === kind && (name === undefined || s.name === name),
  );
  expect(found, `${service} ${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
};

describe('the demo mesh, end to end', () => {
  it('reports no problem from the scenario checks', () => {
    expect(result.problems).toEqual([]);
  });

  it('puts the valid order in ONE trace: gateway → identity → NATS → worker → billing, parented hop by hop', async () => {
    const { traceId } = result.steps.valid;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const spans = traceOf(traceId);
    const gateway = one(spans, 'gateway', SERVER, 'POST /orders');
    const introspection = one(spans, 'gateway', CLIENT);
    const identity = one(spans, 'identity', SERVER, 'POST /token/introspection');
    const producer = one(spans, 'gateway', PRODUCER, 'publish order.created');
    const consumer = one(spans, 'worker', CONSUMER, 'process order.created');
    const billingCall = one(spans, 'worker', CLIENT);
    const billing = one(spans, 'billing', SERVER, 'POST /invoices');
    const billed = one(spans, 'worker', PRODUCER, 'publish order.billed');

    expect(gateway.parentSpanId).toBe('');
    expect(gateway.attributes['http.response.status_code']).toBe(202);
    expect(introspection.parentSpanId).toBe(gateway.spanId);
    expect(introspection.attributes['identity.token.active']).toBe(true);
    expect(identity.parentSpanId).toBe(introspection.spanId);
    expect(producer.parentSpanId).toBe(gateway.spanId);
    expect(producer.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.destination.name': 'order.created',
    });
    // Consumer: parent is the hop context; the creation context is the same hop here, so no link.
    expect(consumer.parentSpanId).toBe(producer.spanId);
    expect(consumer.links.filter((l) => l.spanId !== producer.spanId)).toEqual([]);
    expect(consumer.attributes['messaging.consumer.group.name']).toBe('worker');
    expect(billingCall.parentSpanId).toBe(consumer.spanId);
    expect(billing.parentSpanId).toBe(billingCall.spanId);
    expect(billed.parentSpanId).toBe(consumer.spanId);
    for (const span of spans) expect(span.status.code, span.name).not.toBe(ERROR);
  });

  it('answers an invalid token with 401 in a trace that never publishes', () => {
    expect(result.steps.invalidToken.status).toBe(401);
    const spans = traceOf(result.steps.invalidToken.traceId);
    const gateway = one(spans, 'gateway', SERVER, 'POST /orders');
    expect(gateway.attributes['http.response.status_code']).toBe(401);
    expect(gateway.status.code).not.toBe(ERROR); // a 4xx is the client's problem, not the server's
    expect(one(spans, 'gateway', CLIENT).attributes['identity.token.active']).toBe(false);
    expect(spans.filter((s) => s.kind === PRODUCER || s.kind === CONSUMER)).toEqual([]);
  });

  it('sends the failing order to the dead-letter subject after retries, each attempt an ERROR span', async () => {
    expect(result.steps.failing.status).toBe(202);
    expect(result.deadLetter).toMatchObject({ originalSubject: 'order.created' });
    expect(result.deadLetter?.reason).toBeTruthy();
    const attemptsSoFar = () =>
      traceOf(result.steps.failing.traceId).filter((s) => s.kind === CONSUMER && serviceOf(s) === 'worker');
    // The last attempt's span leaves in the next batch after the dead letter was sent.
    await expect.poll(() => attemptsSoFar().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const attempts = attemptsSoFar();
    for (const attempt of attempts) {
      expect(attempt.status.code).toBe(ERROR);
      expect(attempt.events.map((e) => e.name)).toContain('exception');
    }
  });

  it('never records the bearer token or client secrets in any span', () => {
    const text = JSON.stringify(mesh.receiver!.spans, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    expect(text).not.toMatch(/Bearer\s/);
    expect(text).not.toContain('not-a-real-token');
  });
});
