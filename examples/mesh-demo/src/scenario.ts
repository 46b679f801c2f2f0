import { connect } from '@nats-io/transport-node';
import type { OtlpSpan } from '@service-runtime/trace-viewer';
import type { Mesh } from './mesh.ts';
import { ORDER_DEAD_LETTER, POISON_SKU } from './services/orders.ts';
import { missingFrom, type TraceExpectation } from './waterfall.ts';

/** One request the demo sends, and what came of it. */
export interface ScenarioStep {
  title: string;
  status: number;
  traceId: string | undefined;
}

/** What the demo observed: the three requests, the dead letter, and the problems found. */
export interface ScenarioResult {
  steps: { valid: ScenarioStep; invalidToken: ScenarioStep; failing: ScenarioStep };
  deadLetter: { reason: string | undefined; originalSubject: string | undefined } | undefined;
  problems: string[];
}

const service = (span: OtlpSpan) => String(span.resource['service.name']);
const KIND = { SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

/** Spans the valid order's ONE trace must contain. */
export const VALID_ORDER_EXPECTATIONS: TraceExpectation[] = [
  {
    description: 'gateway SERVER span "POST /orders"',
    match: (s) => service(s) === 'gateway' && s.kind === KIND.SERVER && s.name === 'POST /orders',
  },
  {
    description: 'gateway CLIENT span for the identity introspection call',
    match: (s) => service(s) === 'gateway' && s.kind === KIND.CLIENT,
  },
  {
    description: 'identity SERVER span "POST /token/introspection"',
    match: (s) => service(s) === 'identity' && s.kind === KIND.SERVER && s.name === 'POST /token/introspection',
  },
  {
    description: 'gateway PRODUCER span "publish order.created"',
    match: (s) => service(s) === 'gateway' && s.kind === KIND.PRODUCER && s.name === 'publish order.created',
  },
  {
    description: 'worker CONSUMER span "process order.created"',
    match: (s) => service(s) === 'worker' && s.kind === KIND.CONSUMER && s.name === 'process order.created',
  },
  {
    description: 'worker CLIENT span for the billing call',
    match: (s) => service(s) === 'worker' && s.kind === KIND.CLIENT,
  },
  {
    description: 'billing SERVER span "POST /invoices"',
    match: (s) => service(s) === 'billing' && s.kind === KIND.SERVER && s.name === 'POST /invoices',
  },
  {
    description: 'worker PRODUCER span "publish order.billed"',
    match: (s) => service(s) === 'worker' && s.kind === KIND.PRODUCER && s.name === 'publish order.billed',
  },
];

/**
 * Sends a valid order, an order with an invalid token and an order the worker fails on, then checks
 * the answers, the dead letter and (with the embedded receiver) the spans of each trace.
 */
export async function runScenario(
  mesh: Mesh,
  progress: (message: string) => void = () => undefined,
): Promise<ScenarioResult> {
  const problems: string[] = [];
  const nc = await connect({ servers: mesh.natsUrl, name: 'mesh-demo-observer' });
  const deadLetters = nc.subscribe(ORDER_DEAD_LETTER, { max: 1 });
  try {
    const token = await mesh.mintToken('orders:write');
    progress('minted an access token with scope orders:write');

    const order = (authorization: string, body: unknown) =>
      fetch(`${mesh.gatewayUrl}/orders`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const step = async (title: string, response: Promise<Response>, expected: number): Promise<ScenarioStep> => {
      const res = await response;
      const body = (await res.json().catch(() => ({}))) as { trace_id?: string };
      if (res.status !== expected) problems.push(`${title}: expected HTTP ${expected}, got ${res.status}`);
      progress(`${title}: HTTP ${res.status}, trace ${body.trace_id ?? '(none)'}`);
      return { title, status: res.status, traceId: body.trace_id };
    };
    const valid = await step('valid order', order(`Bearer ${token}`, { sku: 'SKU-123', quantity: 2 }), 202);
    const invalidToken = await step(
      'invalid token',
      order('Bearer not-a-real-token', { sku: 'SKU-123', quantity: 1 }),
      401,
    );
    const failing = await step(
      'order the worker fails on',
      order(`Bearer ${token}`, { sku: POISON_SKU, quantity: 1 }),
      202,
    );

    const deadLetter = await firstMessage(deadLetters, 30_000);
    if (deadLetter === undefined) problems.push(`the failing order did not reach ${ORDER_DEAD_LETTER} within 30 s`);
    else progress(`dead letter on ${ORDER_DEAD_LETTER}: ${deadLetter.reason ?? 'no reason header'}`);

    if (mesh.receiver !== undefined) {
      await checkSpans(mesh, { valid, invalidToken, failing }, problems);
    }
    return { steps: { valid, invalidToken, failing }, deadLetter, problems };
  } finally {
    await nc.close();
  }
}

async function checkSpans(mesh: Mesh, steps: ScenarioResult['steps'], problems: string[]): Promise<void> {
  const receiver = mesh.receiver!;
  const inTrace = (id: string | undefined) => (s: OtlpSpan) => s.traceId === id;
  if (steps.valid.traceId === undefined) {
    problems.push('the valid order answered without a trace_id');
  } else {
    const trace = await waitFor(() => {
      const spans = receiver.spans.filter(inTrace(steps.valid.traceId));
      return missingFrom(spans, VALID_ORDER_EXPECTATIONS).length === 0 ? spans : undefined;
    }, 20_000);
    const spans = trace ?? receiver.spans.filter(inTrace(steps.valid.traceId));
    for (const missing of missingFrom(spans, VALID_ORDER_EXPECTATIONS))
      problems.push(`valid order's trace lacks the ${missing}`);
  }
  const invalid = receiver.spans.filter(inTrace(steps.invalidToken.traceId));
  if (invalid.some((s) => s.kind === KIND.PRODUCER)) problems.push('the invalid-token request published an event');
  const failedConsumer = await waitFor(
    () =>
      receiver.spans.find((s) => inTrace(steps.failing.traceId)(s) && s.kind === KIND.CONSUMER && s.status.code === 2),
    20_000,
  );
  if (failedConsumer === undefined) problems.push("the failing order's trace has no CONSUMER span with status ERROR");
}

async function firstMessage(
  sub: AsyncIterable<{ headers?: { get(k: string): string } | undefined }>,
  timeoutMs: number,
): Promise<ScenarioResult['deadLetter']> {
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs).unref());
  const first = (async () => {
    for await (const msg of sub) {
      return {
        reason: msg.headers?.get('Natsbus-Dead-Letter-Reason') || undefined,
        originalSubject: msg.headers?.get('Natsbus-Original-Subject') || undefined,
      };
    }
    return undefined;
  })();
  return Promise.race([first, timeout]);
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
