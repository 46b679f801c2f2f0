import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CloudEvent } from '../src/index.ts';
import { spansNamed, startFixture, uniqueSubject, waitFor, type Fixture } from './fixture.ts';

// Span names, attributes, links and metrics per the OpenTelemetry messaging semantic conventions.

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ jetstream: true });
});
afterAll(async () => fx.close());
beforeEach(() => fx.telemetry.reset());

/** The bucket boundaries (s) the messaging semconv advises for its duration histograms. */
const MESSAGING_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const FORWARDED_FROM = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('messaging semantic conventions', () => {
  it('names spans {messaging.operation.name} {destination} and records server.address / server.port', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('named');
    bus.reply(subject, () => ({ type: 'answer' }));
    await bus.flush();
    await bus.publish(subject, { type: 't' });
    await bus.request(subject, { type: 'q' });
    const publish = await waitFor(() => spansNamed(fx.telemetry, `publish ${subject}`)[0]);
    const request = await waitFor(() => spansNamed(fx.telemetry, `request ${subject}`)[0]);
    const processes = await waitFor(() => {
      const found = spansNamed(fx.telemetry, `process ${subject}`);
      return found.length === 2 ? found : undefined;
    });
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(publish.attributes).toMatchObject({
      'messaging.operation.name': 'publish',
      'messaging.operation.type': 'send',
      'server.address': '127.0.0.1',
      'server.port': fx.server.port,
    });
    expect(request.attributes).toMatchObject({
      'messaging.operation.name': 'request',
      'messaging.operation.type': 'send',
    });
    for (const span of processes) {
      expect(span.attributes).toMatchObject({
        'messaging.operation.name': 'process',
        'messaging.operation.type': 'process',
        'server.address': '127.0.0.1',
        'server.port': fx.server.port,
      });
    }
  });

  it('names a wildcard subscription span by its template and keeps the concrete subject as the destination name', async () => {
    const bus = await fx.bus();
    const prefix = uniqueSubject('wild');
    const received: CloudEvent[] = [];
    bus.subscribe(`${prefix}.*`, (event) => void received.push(event));
    await bus.flush();
    await bus.publish(`${prefix}.a`, { type: 't' });
    await bus.publish(`${prefix}.b`, { type: 't' });
    await waitFor(() => received.length === 2);
    const spans = await waitFor(() => {
      const found = spansNamed(fx.telemetry, `process ${prefix}.*`);
      return found.length === 2 ? found : undefined;
    });
    expect(spans.map((s) => s.attributes['messaging.destination.name']).sort()).toEqual([`${prefix}.a`, `${prefix}.b`]);
    for (const span of spans) expect(span.attributes['messaging.destination.template']).toBe(`${prefix}.*`);
  });

  it('names a JetStream consumer span by a wildcard filter subject', async () => {
    const bus = await fx.bus();
    const stream = `WILD${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    const prefix = stream.toLowerCase();
    await bus.ensureStream({ name: stream, subjects: [`${prefix}.>`], storage: 'memory' });
    await bus.publish(`${prefix}.a`, { type: 't' }, { jetstream: true });
    const received: CloudEvent[] = [];
    await bus.consume({ stream, durable: 'wild', filterSubject: `${prefix}.*` }, (event) => void received.push(event));
    await waitFor(() => received.length === 1);
    const span = await waitFor(() => spansNamed(fx.telemetry, `process ${prefix}.*`)[0]);
    expect(span.attributes).toMatchObject({
      'messaging.destination.name': `${prefix}.a`,
      'messaging.destination.template': `${prefix}.*`,
      'messaging.consumer.group.name': 'wild',
    });
  });

  it('links a forward’s PRODUCER span to the creation context the event keeps', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('fw');
    await bus.publish(subject, { type: 't', id: 'fw-1', source: '/up', traceparent: FORWARDED_FROM });
    const span = spansNamed(fx.telemetry, `publish ${subject}`)[0]!;
    expect(span.links.map((l) => l.context.spanId)).toEqual(['b7ad6b7169203331']);
    await bus.publish(subject, { type: 't' });
    expect(spansNamed(fx.telemetry, `publish ${subject}`)[1]!.links).toEqual([]);
  });

  it('links a batch span to each message’s creation context, not the hop', async () => {
    const bus = await fx.bus();
    const stream = `SEMCONV${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    const subject = `${stream.toLowerCase()}.in`;
    await bus.ensureStream({ name: stream, subjects: [`${subject}`], storage: 'memory' });
    await bus.publish(
      subject,
      { type: 't', id: 'b-1', source: '/up', traceparent: FORWARDED_FROM },
      { jetstream: true },
    );
    const batches: number[] = [];
    await bus.consumeBatch(
      { stream, durable: 'batch', filterSubject: subject },
      (events) => void batches.push(events.length),
    );
    await waitFor(() => batches.length === 1);
    const batch = await waitFor(() => spansNamed(fx.telemetry, `process ${subject}`)[0]);
    expect(batch.links.map((l) => l.context.spanId)).toEqual(['b7ad6b7169203331']);
  });

  it('gives a batch under a wildcard filter the template, and a destination name only when one subject holds it all', async () => {
    const bus = await fx.bus();
    const stream = `BATCHT${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    const prefix = stream.toLowerCase();
    await bus.ensureStream({ name: stream, subjects: [`${prefix}.>`], storage: 'memory' });
    for (const leaf of ['a', 'b']) await bus.publish(`${prefix}.${leaf}`, { type: 't' }, { jetstream: true });
    const batches: number[] = [];
    await bus.consumeBatch(
      { stream, durable: 'mixed', filterSubject: `${prefix}.*` },
      (events) => void batches.push(events.length),
      { batchSize: 10 },
    );
    await waitFor(() => batches.reduce((a, b) => a + b, 0) === 2);
    const spans = await waitFor(() => {
      const found = spansNamed(fx.telemetry, `process ${prefix}.*`);
      return found.length === batches.length ? found : undefined;
    });
    for (const [i, span] of spans.entries()) {
      expect(span.attributes['messaging.destination.template']).toBe(`${prefix}.*`);
      const subjects = new Set(span.links.map((l) => l.attributes?.['messaging.destination.name']));
      const expected = subjects.size === 1 ? [...subjects][0] : undefined;
      expect(span.attributes['messaging.destination.name'], `batch ${i}`).toBe(expected);
    }
    // both messages in one batch: no single destination name
    if (batches.length === 1) expect(spans[0]!.attributes).not.toHaveProperty('messaging.destination.name');
  });

  it('records the messaging metrics: operation and process durations, sent and consumed counts', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('metered');
    const dlq = uniqueSubject('dlq');
    const received: CloudEvent[] = [];
    bus.subscribe(subject, (event) => void received.push(event), { deadLetterSubject: dlq });
    await bus.flush();
    await bus.publish(subject, { type: 't' });
    bus.connection.publish(subject, 'not json');
    await bus.publish(subject, { type: 't' });
    await waitFor(() => received.length === 2);
    await bus.flush();
    const text = await fx.telemetry.prometheusText();
    const lines = (name: string) => text.split('\n').filter((l) => l.startsWith(name) && l.includes(subject));
    const sent = lines('messaging_client_sent_messages');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/messaging_operation_name="publish"/);
    expect(sent[0]).toMatch(/server_address="127.0.0.1"/);
    expect(sent[0]).toMatch(/ 2$/);
    const consumed = lines('messaging_client_consumed_messages');
    expect(consumed.find((l) => !l.includes('error_type'))).toMatch(/ 2$/);
    expect(consumed.find((l) => l.includes('error_type="invalid_json"'))).toMatch(/ 1$/);
    expect(lines('messaging_client_operation_duration').some((l) => l.includes('_count') && / 2$/.test(l))).toBe(true);
    expect(lines('messaging_process_duration').some((l) => l.includes('_count'))).toBe(true);
    // units and instrument kinds as the conventions give them; the advised bucket boundaries
    for (const [name, unit, type] of [
      ['messaging_client_operation_duration', 's', 'histogram'],
      ['messaging_process_duration', 's', 'histogram'],
      ['messaging_client_sent_messages_total', '{message}', 'counter'],
      ['messaging_client_consumed_messages_total', '{message}', 'counter'],
    ]) {
      expect(text).toContain(`# UNIT ${name} ${unit}\n`);
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
    }
    const buckets = lines('messaging_client_operation_duration_bucket').map((l) => /le="([^"]+)"/.exec(l)![1]);
    expect(buckets).toEqual([...MESSAGING_BUCKETS.map(String), '+Inf']);
  });
});
