import { headers as natsHeaders, type Msg } from '@nats-io/transport-node';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseTracestate, receiveTraceContext } from '../src/trace-context.ts';
import type { CloudEvent } from '../src/index.ts';
import { spansNamed, startFixture, uniqueSubject, waitFor, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => fx.close());

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const TP = `00-${TRACE_ID}-b7ad6b7169203331-01`;
const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v${i}`);
// five members of 118 and 117 characters: 593 in all, over the 512 W3C asks vendors to keep
const wideState = Array.from({ length: 5 }, (_, i) => `k${i}=${'x'.repeat(i === 0 ? 114 : 115)}`);
const event = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ specversion: '1.0', id: 'e-1', source: '/peer', type: 't', data: { n: 1 }, ...extra });

describe('W3C trace context never costs a message', () => {
  const cases: {
    name: string;
    body: string;
    headers?: Record<string, string>;
    issue: string | undefined;
    trace?: string;
    tracestate?: string;
  }[] = [
    {
      name: 'malformed traceparent extension',
      body: event({ traceparent: '00-xyz-01' }),
      issue: 'invalid_traceparent',
    },
    {
      name: 'traceparent extension that is not a string',
      body: event({ traceparent: 42 }),
      issue: 'invalid_traceparent',
    },
    {
      name: 'malformed traceparent header',
      body: event(),
      headers: { traceparent: 'garbage' },
      issue: 'invalid_traceparent',
    },
    {
      name: '593-character tracestate (cut by whole members, traceparent kept)',
      body: event({ traceparent: TP, tracestate: wideState.join(',') }),
      issue: 'tracestate_truncated',
      trace: TRACE_ID,
      tracestate: wideState.slice(0, 4).join(','),
    },
    {
      name: '32-member tracestate with a trailing comma (empty members are allowed)',
      body: event({ traceparent: TP, tracestate: `${members(32).join(',')},` }),
      issue: undefined,
      trace: TRACE_ID,
      tracestate: members(32).join(','),
    },
    {
      name: '40-member tracestate in the hop header (over the 32 W3C allows: discarded, traceparent kept)',
      body: event(),
      headers: { traceparent: TP, tracestate: members(40).join(',') },
      issue: 'invalid_tracestate',
      trace: TRACE_ID,
    },
    {
      name: 'unparseable tracestate (discarded, traceparent kept)',
      body: event({ traceparent: TP, tracestate: 'Not A Member' }),
      issue: 'invalid_tracestate',
      trace: TRACE_ID,
      tracestate: undefined,
    },
  ];

  for (const testCase of cases) {
    it(`${testCase.name}: handled, nothing dead-lettered, the issue recorded`, async () => {
      const bus = await fx.bus();
      const subject = uniqueSubject('tc');
      const dlq = uniqueSubject('dlq');
      const handled: CloudEvent[] = [];
      const dead: Msg[] = [];
      bus.connection.subscribe(dlq, { callback: (_e, msg) => void dead.push(msg) });
      bus.subscribe(subject, (e) => void handled.push(e), { deadLetterSubject: dlq });
      await bus.flush();
      const h = natsHeaders();
      for (const [k, v] of Object.entries(testCase.headers ?? {})) h.set(k, v);
      bus.connection.publish(subject, testCase.body, testCase.headers === undefined ? undefined : { headers: h });
      await bus.publish(subject, { type: 'marker' });

      await waitFor(() => handled.length === 2);
      await bus.flush();
      expect(dead).toHaveLength(0);
      expect(handled[0]!.id).toBe('e-1');
      const span = await waitFor(() =>
        spansNamed(fx.telemetry, `process ${subject}`).find((s) => s.attributes['cloudevents.event_id'] === 'e-1'),
      );
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes['natsbus.trace_context.issue']).toBe(testCase.issue);
      if (testCase.trace === undefined) {
        expect(span.parentSpanContext).toBeUndefined(); // a new root
        expect(handled[0]!.traceparent).toBeUndefined(); // a forward starts a fresh creation context
      } else {
        expect(span.spanContext().traceId).toBe(testCase.trace);
      }
      if ('tracestate' in testCase) expect(handled[0]!.tracestate).toBe(testCase.tracestate);
      if (testCase.issue !== undefined) {
        const metrics = await fx.telemetry.prometheusText();
        expect(metrics).toMatch(
          new RegExp(`natsbus_trace_context_ignored_total\\{[^}]*natsbus_trace_context_issue="${testCase.issue}"`),
        );
      }
    });
  }

  it('an event from an external subject is forwarded inside without the outsider context', async () => {
    const bus = await fx.bus({ externalSubjects: ['outside.>'] });
    const outside = `outside.${uniqueSubject('in')}`;
    const inside = uniqueSubject('inside');
    const received: CloudEvent[] = [];
    bus.subscribe(outside, (e) => bus.publish(inside, e));
    bus.subscribe(inside, (e) => void received.push(e));
    await bus.flush();
    bus.connection.publish(outside, event({ traceparent: TP, tracestate: 'vendor=evil' }));

    await waitFor(() => received.length === 1);
    expect(received[0]!.id).toBe('e-1');
    expect(received[0]!.traceparent).toBeDefined();
    expect(received[0]!.traceparent).not.toContain(TRACE_ID);
    expect(received[0]!.tracestate).toBeUndefined();
    const consumer = await waitFor(() => spansNamed(fx.telemetry, `process ${inside}`)[0]);
    expect(consumer.spanContext().traceId).not.toBe(TRACE_ID);
  });
});

describe('repeated trace header fields, as W3C reads them', () => {
  const cases: {
    name: string;
    fields: [string, string][];
    trace: string | undefined;
    state?: string;
    issue?: string;
  }[] = [
    {
      name: 'two tracestate fields are one list',
      fields: [
        ['traceparent', TP],
        ['tracestate', 'a=1'],
        ['tracestate', 'b=2'],
      ],
      trace: TRACE_ID,
      state: 'a=1,b=2',
    },
    {
      name: 'two tracestate fields with one key: discarded, traceparent kept',
      fields: [
        ['traceparent', TP],
        ['tracestate', 'a=1'],
        ['tracestate', 'a=1'],
      ],
      trace: TRACE_ID,
      issue: 'invalid_tracestate',
    },
    {
      name: 'two traceparent fields: a new trace',
      fields: [
        ['traceparent', TP],
        ['traceparent', `00-${'1'.repeat(32)}-b7ad6b7169203331-01`],
      ],
      trace: undefined,
      issue: 'invalid_traceparent',
    },
  ];
  for (const testCase of cases) {
    it(`${testCase.name}`, async () => {
      const bus = await fx.bus();
      const subject = uniqueSubject('rep');
      const handled: CloudEvent[] = [];
      bus.subscribe(subject, (e) => void handled.push(e));
      await bus.flush();
      const h = natsHeaders();
      h.set('content-type', 'application/cloudevents+json');
      for (const [k, v] of testCase.fields) h.append(k, v);
      bus.connection.publish(subject, event(), { headers: h });
      await waitFor(() => handled.length === 1);
      const span = await waitFor(() => spansNamed(fx.telemetry, `process ${subject}`)[0]);
      expect(span.attributes['natsbus.trace_context.issue']).toBe(testCase.issue);
      if (testCase.trace === undefined) expect(span.parentSpanContext).toBeUndefined();
      else expect(span.spanContext().traceId).toBe(testCase.trace);
      expect(span.spanContext().traceState?.serialize()).toBe(testCase.state);
    });
  }
});

describe('tracestate by the W3C rules', () => {
  it('the 593-character case really is 593 characters', () => {
    expect(wideState.join(',').length).toBe(593);
  });

  it('skips empty and whitespace-only members', () => {
    expect(normaliseTracestate('a=1, ,b=2,,')).toEqual({ value: 'a=1,b=2', issue: undefined });
  });

  it('past 512 characters drops members over 128 characters first, then from the end, never inside a member', () => {
    const wide = Array.from({ length: 5 }, (_, i) => `w${i}=${'z'.repeat(100)}`);
    const long = `big=${'y'.repeat(200)}`;
    const { value, issue } = normaliseTracestate([wide[0], long, ...wide.slice(1)].join(','));
    expect(issue).toBe('tracestate_truncated');
    expect(value!.length).toBeLessThanOrEqual(512);
    expect(value!.split(',')).toEqual(wide.slice(0, 4));
  });

  it('keeps 32 members and discards 33 (the W3C list limit; its test suite expects a discard)', () => {
    expect(normaliseTracestate(members(32).join(','))).toEqual({ value: members(32).join(','), issue: undefined });
    expect(normaliseTracestate(`${members(32).join(',')}, ,`).value).toBe(members(32).join(','));
    expect(normaliseTracestate(members(33).join(','))).toEqual({ value: undefined, issue: 'invalid_tracestate' });
  });

  it('discards a tracestate with an invalid member or a repeated key, keeping traceparent', () => {
    expect(normaliseTracestate('a=1,B=2').value).toBeUndefined();
    expect(normaliseTracestate('a=1,a=2').issue).toBe('invalid_tracestate');
    const received = receiveTraceContext(TP, 'a=1,=x');
    expect(received.context?.traceId).toBe(TRACE_ID);
    expect(received.issue).toBe('invalid_tracestate');
  });

  it('accepts multi-tenant keys and values with spaces inside', () => {
    expect(normaliseTracestate('t1@sys=a b,c=d').value).toBe('t1@sys=a b,c=d');
  });
});
