// Arbitrary messages into a natsbus subscription on a real nats-server: trace context in NATS headers
// and in the envelope (structured and binary mode), arbitrary CloudEvent envelopes and arbitrary
// bytes. Bad trace context is ignored as W3C Trace Context says (the message is handled, joining the
// valid parent if any); an undecodable message is dead-lettered with a stated reason, an ERROR span carrying that reason, and the same bytes; the next valid
// message is always handled; nothing is left unhandled.
import { headers as natsHeaders, type Msg, type MsgHdrs } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { type Bus, type CloudEvent, createBus } from '@service-runtime/natsbus';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import {
  anyTraceparent,
  anyTracestate,
  headerText,
  parseW3c,
  validTraceparent,
  watchUnhandledRejections,
} from './trace-context-arbitraries.ts';
import { parseTraceparent } from '../../packages/natsbus/src/trace-context.ts';

const SUBJECT = 'properties.in';
const DLQ = 'properties.dlq';
const REASONS = ['invalid_json', 'invalid_cloudevent', 'unsupported_specversion'];

let server: NatsServer;
let telemetry: TestTelemetry;
let bus: Bus;
const handled: CloudEvent[] = [];
const dead: Msg[] = [];
let markers = 0;
const rejections = watchUnhandledRejections();

beforeAll(async () => {
  process.env['LOG_LEVEL'] ??= 'silent';
  telemetry = setupTestTelemetry({ serviceName: 'properties-natsbus' });
  server = await startNatsServer();
  bus = await createBus({ servers: server.url, source: '/properties', closeOnShutdown: false });
  bus.connection.subscribe(DLQ, { callback: (_error, msg) => void dead.push(msg) });
  bus.subscribe(SUBJECT, (event) => void handled.push(event), { deadLetterSubject: DLQ });
  await bus.flush();
});

afterAll(async () => {
  await bus.close();
  await server.close();
  await telemetry.shutdown();
  rejections.dispose();
});

interface Outcome {
  /** The event, when the handler got it. */
  event?: CloudEvent;
  /** The dead-letter copy, when the message was refused. */
  deadLetter?: Msg;
  /** The CONSUMER span of the message, when it was recorded. */
  span?: ReadableSpan;
}

/** Publishes `body` with `headers`, then a valid marker; resolves once both were processed. */
async function deliver(body: Uint8Array | string, headers?: Record<string, string>): Promise<Outcome> {
  telemetry.reset();
  const handledBefore = handled.length;
  const deadBefore = dead.length;
  let h: MsgHdrs | undefined;
  if (headers !== undefined) {
    h = natsHeaders();
    for (const [k, v] of Object.entries(headers)) h.set(k, v);
  }
  bus.connection.publish(SUBJECT, body, h === undefined ? undefined : { headers: h });
  const marker = `marker-${++markers}`;
  bus.connection.publish(SUBJECT, JSON.stringify({ specversion: '1.0', id: marker, source: '/m', type: 'marker' }));
  const deadline = Date.now() + 10_000;
  const spanOf = (id: string) => telemetry.spans().find((s) => s.attributes['cloudevents.event_id'] === id);
  while (
    spanOf(marker) === undefined ||
    !handled.some((e) => e.id === marker) ||
    handled.length - handledBefore + dead.length - deadBefore < 2
  ) {
    if (Date.now() > deadline) throw new Error('message and marker not processed in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const events = handled.slice(handledBefore).filter((e) => e.id !== marker);
  const copies = dead.slice(deadBefore);
  expect(events.length + copies.length).toBe(1); // exactly one outcome per message
  const consumerSpans = telemetry
    .spans()
    .filter((s) => s.kind === SpanKind.CONSUMER && s.attributes['cloudevents.event_id'] !== marker);
  expect(consumerSpans.length).toBeLessThanOrEqual(1);
  rejections.check();
  return { event: events[0], deadLetter: copies[0], span: consumerSpans[0] };
}

/** A refusal: dead letter with the reason and the same bytes, ERROR span with `error.type`. */
function expectRefused(outcome: Outcome, reason: string, body: Uint8Array | string): void {
  expect(outcome.event, `expected ${reason}, was handled`).toBeUndefined();
  expect(outcome.deadLetter?.headers?.get('Natsbus-Dead-Letter-Reason')).toBe(reason);
  expect(Buffer.from(outcome.deadLetter?.data ?? [])).toEqual(Buffer.from(body));
  expect(outcome.span?.status.code).toBe(SpanStatusCode.ERROR);
  expect(outcome.span?.attributes['error.type']).toBe(reason);
}

/** The parent W3C says a consumer continues: the hop header when valid, else a valid envelope context. */
function expectedParent(envelopeParent: unknown, hopParent: string | undefined) {
  const hop = hopParent?.trim() ? parseW3c(hopParent) : undefined;
  return hop ?? (typeof envelopeParent === 'string' ? parseW3c(envelopeParent) : undefined);
}

const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

describe('natsbus: arbitrary trace context and envelopes', () => {
  it('trace context in the envelope and in NATS headers (structured and binary mode)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        maybe(fc.oneof(anyTraceparent, fc.constant(''), fc.integer(), fc.constant(null))),
        maybe(anyTracestate),
        maybe(anyTraceparent),
        maybe(anyTracestate),
        async (binary, envelopeParent, envelopeState, hopParent, hopState) => {
          const id = `e-${markers}`;
          const event: Record<string, unknown> = {
            specversion: '1.0',
            id,
            source: '/p',
            type: 'probe',
            data: { n: 1 },
          };
          const headers: Record<string, string> = {};
          if (hopParent !== undefined) headers['traceparent'] = hopParent;
          if (hopState !== undefined) headers['tracestate'] = hopState;
          // binary mode carries attributes as ce- headers, so only string extensions are expressible
          const envParent = binary && typeof envelopeParent !== 'string' ? undefined : envelopeParent;
          let body: string;
          if (binary) {
            for (const key of ['specversion', 'id', 'source', 'type']) headers[`ce-${key}`] = String(event[key]);
            headers['content-type'] = 'application/json';
            if (envParent !== undefined) headers['ce-traceparent'] = encodeURIComponent(envParent as string);
            if (envelopeState !== undefined) headers['ce-tracestate'] = encodeURIComponent(envelopeState);
            body = JSON.stringify(event['data']);
          } else {
            if (envParent !== undefined) event['traceparent'] = envParent;
            if (envelopeState !== undefined) event['tracestate'] = envelopeState;
            body = JSON.stringify(event);
          }
          const outcome = await deliver(body, Object.keys(headers).length > 0 ? headers : undefined);

          // W3C Trace Context: bad trace context is ignored or truncated, never a reason to refuse
          expect(outcome.deadLetter).toBeUndefined();
          expect(outcome.event?.id).toBe(id);
          const envelopeValid = typeof envParent === 'string' && parseW3c(envParent) !== undefined;
          if (!envelopeValid) expect(outcome.event?.['traceparent']).toBeUndefined();
          const parent = expectedParent(envParent, hopParent);
          if (parent?.sampled === false) {
            expect(outcome.span).toBeUndefined(); // an unsampled upstream is honoured
            return;
          }
          expect(outcome.span?.status.code).toBe(SpanStatusCode.UNSET);
          if (parent === undefined) expect(outcome.span?.parentSpanContext).toBeUndefined();
          else {
            expect(outcome.span?.spanContext().traceId).toBe(parent.traceId);
            expect(outcome.span?.parentSpanContext?.spanId).toBe(parent.spanId);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('arbitrary structured-mode bodies: JSON or not, CloudEvent or not', async () => {
    const text = fc.oneof(fc.string(), fc.constant(''), fc.integer(), fc.constant(null), fc.jsonValue());
    const envelope = fc.record(
      {
        specversion: fc.oneof(fc.constant('1.0'), fc.constant('0.3'), fc.constant(1), text),
        id: fc.oneof(fc.string({ minLength: 1 }), text),
        source: fc.oneof(fc.constant('/src'), text),
        type: fc.oneof(fc.constant('t'), text),
        data: fc.jsonValue(),
        extra: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      envelope.map((e) => JSON.stringify(e)),
      fc.json(),
      headerText(200),
      fc.uint8Array({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const outcome = await deliver(payload);
        const expected = structuredVerdict(payload);
        if (expected !== undefined) return expectRefused(outcome, expected, payload);
        expect(outcome.deadLetter).toBeUndefined();
        expect(outcome.event).toBeDefined();
        expect(outcome.span?.status.code).toBe(SpanStatusCode.UNSET);
      }),
      { numRuns: 150 },
    );
  });

  it('arbitrary binary-mode ce- headers and bodies: handled or dead-lettered with a reason', async () => {
    const attribute = (valid: string) => maybe(fc.oneof(fc.constant(valid), headerText(30)));
    await fc.assert(
      fc.asyncProperty(
        attribute('1.0'),
        attribute('id-1'),
        attribute('/src'),
        attribute('type'),
        maybe(fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'application/x+json', 'x')),
        fc.oneof(fc.json(), fc.uint8Array({ maxLength: 100 }), headerText(50)),
        async (specversion, id, source, type, contentType, payload) => {
          const headers: Record<string, string> = { 'x-probe': '1' };
          const set = (k: string, v: string | undefined) => {
            if (v !== undefined) headers[k] = v;
          };
          set('ce-specversion', specversion);
          set('ce-id', id);
          set('ce-source', source);
          set('ce-type', type);
          set('content-type', contentType);
          const outcome = await deliver(payload, headers);
          if (outcome.deadLetter !== undefined) {
            const reason = outcome.deadLetter.headers?.get('Natsbus-Dead-Letter-Reason') ?? '';
            expect(REASONS).toContain(reason);
            return expectRefused(outcome, reason, payload);
          }
          expect(outcome.event).toBeDefined();
          expect(outcome.span?.status.code).toBe(SpanStatusCode.UNSET);
        },
      ),
      { numRuns: 120 },
    );
  });
});

/** The reason natsbus must give a structured-mode body without trace context, or undefined to accept it. */
function structuredVerdict(payload: string | Uint8Array): string | undefined {
  let parsed: unknown;
  try {
    const text = typeof payload === 'string' ? payload : new TextDecoder('utf-8', { fatal: true }).decode(payload);
    parsed = JSON.parse(text);
  } catch {
    return 'invalid_json';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'invalid_cloudevent';
  const event = parsed as Record<string, unknown>;
  if (event['specversion'] === undefined) return 'invalid_cloudevent';
  if (event['specversion'] !== '1.0') return 'unsupported_specversion';
  for (const name of ['id', 'source', 'type'])
    if (typeof event[name] !== 'string' || event[name] === '') return 'invalid_cloudevent';
  return undefined;
}

describe('traceparent parsing', () => {
  // parseTraceparent classifies characters through a table; any non-ASCII character must fail it
  const nonAscii = fc
    .tuple(validTraceparent, fc.nat(), fc.constantFrom('é', 'ａ', '\u0130', '😀', '\u00b2'))
    .map(([value, at, c]) => {
      const i = at % value.length;
      return value.slice(0, i) + c + value.slice(i + 1);
    });

  it('reads exactly what the W3C spec reads', () => {
    fc.assert(
      fc.property(fc.oneof(anyTraceparent, nonAscii), (raw) => {
        const parsed = parseTraceparent(raw);
        const expected = parseW3c(raw);
        expect(parsed === undefined).toBe(expected === undefined);
        if (parsed !== undefined && expected !== undefined) {
          expect([parsed.traceId, parsed.spanId, parsed.traceFlags === 1]).toEqual([
            expected.traceId,
            expected.spanId,
            expected.sampled,
          ]);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
