import { headers as natsHeaders, type Msg } from '@nats-io/transport-node';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudEvent } from '../src/index.ts';
import { spansNamed, startFixture, uniqueSubject, waitFor, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => fx.close());

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const good = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ specversion: '1.0', id: 'good-1', source: '/peer', type: 'ok', data: { ok: true }, ...extra });

const cases: { name: string; reason: string; body: string; headers?: Record<string, string>; validate?: boolean }[] = [
  { name: 'non-JSON payload', reason: 'invalid_json', body: 'this is {not json' },
  { name: 'JSON that is not an object', reason: 'invalid_cloudevent', body: '[1,2,3]' },
  {
    name: 'missing id',
    reason: 'invalid_cloudevent',
    body: JSON.stringify({ specversion: '1.0', source: '/p', type: 't' }),
  },
  {
    name: 'missing source',
    reason: 'invalid_cloudevent',
    body: JSON.stringify({ specversion: '1.0', id: '1', type: 't' }),
  },
  {
    name: 'missing type',
    reason: 'invalid_cloudevent',
    body: JSON.stringify({ specversion: '1.0', id: '1', source: '/p' }),
  },
  {
    name: 'missing specversion',
    reason: 'invalid_cloudevent',
    body: JSON.stringify({ id: '1', source: '/p', type: 't' }),
  },
  {
    name: 'unknown specversion',
    reason: 'unsupported_specversion',
    body: JSON.stringify({ specversion: '0.3', id: '1', source: '/p', type: 't' }),
  },
  {
    // Found by fast-check: describing this value with String() throws.
    name: 'specversion that cannot be turned into a string',
    reason: 'unsupported_specversion',
    body: '{"specversion":{"toString":""},"id":"1","source":"/p","type":"t"}',
  },
  {
    name: 'data rejected by validate',
    reason: 'validation_failed',
    body: good({ data: { ok: false } }),
    validate: true,
  },
];

describe('bad input never blocks the consumer', () => {
  for (const testCase of cases) {
    it(`${testCase.name}: counted, logged, ERROR span, dead-lettered unchanged, next message processed`, async () => {
      const bus = await fx.bus();
      const subject = uniqueSubject('in');
      const dlq = uniqueSubject('dlq');
      const handled: CloudEvent[] = [];
      const dead: Msg[] = [];
      bus.connection.subscribe(dlq, { callback: (_e, msg) => void dead.push(msg) });
      bus.subscribe(subject, (event) => void handled.push(event), {
        deadLetterSubject: dlq,
        ...(testCase.validate ? { validate: (data) => (data as { ok: boolean }).ok === true } : {}),
      });
      await bus.flush();

      const h = natsHeaders();
      h.set('x-origin', 'test');
      for (const [k, v] of Object.entries(testCase.headers ?? {})) h.set(k, v);
      bus.connection.publish(subject, testCase.body, { headers: h });
      await bus.publish(subject, { type: 'ok', data: { ok: true } });

      await waitFor(() => handled.length === 1 && dead.length === 1);
      expect(handled[0]!.type).toBe('ok');
      const copy = dead[0]!;
      expect(copy.string()).toBe(testCase.body);
      expect(copy.headers?.get('Natsbus-Dead-Letter-Reason')).toBe(testCase.reason);
      expect(copy.headers?.get('Natsbus-Original-Subject')).toBe(subject);
      expect(copy.headers?.get('x-origin')).toBe('test');

      const failed = spansNamed(fx.telemetry, `process ${subject}`).find((s) => s.status.code === SpanStatusCode.ERROR);
      expect(failed?.attributes['error.type']).toBe(testCase.reason);
      const metrics = await fx.telemetry.prometheusText();
      expect(metrics).toMatch(new RegExp(`natsbus_messages_rejected_total\\{[^}]*error_type="${testCase.reason}"`));
    });
  }

  it('a header block nats.js cannot decode (a lone LF in a value, as a raw-protocol peer can send) is refused and dead-lettered, not lost', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('badblock');
    const dlq = uniqueSubject('dlq');
    const handled: CloudEvent[] = [];
    const dead: Msg[] = [];
    bus.connection.subscribe(dlq, { callback: (_e, msg) => void dead.push(msg) });
    bus.subscribe(subject, (event) => void handled.push(event), { deadLetterSubject: dlq });
    await bus.flush();
    // nats.js refuses to write such a block itself: a header object that encodes to the raw bytes;
    // the second one is otherwise the plain structured block natsbus reads without nats.js's decode
    const blocks = [
      'NATS/1.0\r\ncontent-type: application/cloudevents+json\r\nx-origin: a\nb\r\n\r\n',
      `NATS/1.0\r\ncontent-type: application/cloudevents+json\r\ntraceparent: ${TP}\nx\r\n\r\n`,
    ];
    for (const [i, block] of blocks.entries()) {
      const raw = { encode: () => Buffer.from(block) } as unknown as ReturnType<typeof natsHeaders>;
      bus.connection.publish(subject, good({ id: `bad-block-${i}` }), { headers: raw });
    }
    await bus.publish(subject, { type: 'ok', data: { ok: true } });

    await waitFor(() => handled.length >= 1 && dead.length === 2);
    expect(handled.map((e) => e.type)).toEqual(['ok']);
    for (const [i, copy] of dead.entries()) {
      expect(copy.string()).toBe(good({ id: `bad-block-${i}` }));
      expect(copy.headers?.get('Natsbus-Dead-Letter-Reason')).toBe('invalid_cloudevent');
      expect(copy.headers?.get('Natsbus-Original-Subject')).toBe(subject);
    }
  });

  it('accepts a traceparent header in any letter case and treats an empty one as absent', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('case');
    const handled: CloudEvent[] = [];
    bus.subscribe(subject, (event) => void handled.push(event));
    await bus.flush();
    const upper = natsHeaders();
    upper.set('TraceParent', TP);
    bus.connection.publish(subject, good({ id: 'upper' }), { headers: upper });
    const empty = natsHeaders();
    empty.set('traceparent', '');
    bus.connection.publish(subject, good({ id: 'empty' }), { headers: empty });
    await waitFor(() => handled.length === 2);
    const spans = await waitFor(() => {
      const found = spansNamed(fx.telemetry, `process ${subject}`);
      return found.length === 2 ? found : undefined;
    });
    const upperSpan = spans.find((s) => s.attributes['cloudevents.event_id'] === 'upper')!;
    expect(upperSpan.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    const emptySpan = spans.find((s) => s.attributes['cloudevents.event_id'] === 'empty')!;
    expect(emptySpan.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(emptySpan.parentSpanContext).toBeUndefined();
  });
});
