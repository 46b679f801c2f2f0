import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CloudEvent, HandlerContext } from '../src/index.ts';
import { parentOf, spansNamed, startFixture, uniqueSubject, waitFor, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => fx.close());
beforeEach(() => fx.telemetry.reset());

describe('trace context across publish → consume', () => {
  it('joins the consumer span to the producer trace and runs the handler in it', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('orders.created');
    const received: { event: CloudEvent; activeSpanId: string | undefined; ctxSpanId: string }[] = [];
    bus.subscribe(subject, (event, ctx: HandlerContext) => {
      received.push({
        event,
        activeSpanId: trace.getActiveSpan()?.spanContext().spanId,
        ctxSpanId: ctx.span.spanContext().spanId,
      });
    });
    await bus.flush();
    const { id } = await bus.publish(subject, { type: 'order.created', data: { orderId: 7 }, subject: 'order-7' });
    await waitFor(() => received.length === 1);
    const producer = spansNamed(fx.telemetry, `publish ${subject}`)[0]!;
    const consumer = await waitFor(() => spansNamed(fx.telemetry, `process ${subject}`)[0]);

    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(parentOf(consumer)).toBe(producer.spanContext().spanId);
    expect(consumer.links).toHaveLength(0);
    expect(received[0]!.activeSpanId).toBe(consumer.spanContext().spanId);
    expect(received[0]!.ctxSpanId).toBe(consumer.spanContext().spanId);

    const event = received[0]!.event;
    expect(event.id).toBe(id);
    expect(event.specversion).toBe('1.0');
    expect(event.source).toBe('/test');
    expect(event.data).toEqual({ orderId: 7 });
    expect(event.traceparent).toBe(`00-${producer.spanContext().traceId}-${producer.spanContext().spanId}-01`);

    expect(producer.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.destination.name': subject,
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'publish',
      'messaging.message.id': id,
      'cloudevents.event_id': id,
      'cloudevents.event_type': 'order.created',
      'cloudevents.event_source': '/test',
      'cloudevents.event_spec_version': '1.0',
      'cloudevents.event_subject': 'order-7',
    });
    expect(producer.attributes['messaging.message.body.size']).toBeGreaterThan(50);
    expect(consumer.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'messaging.destination.name': subject,
      'cloudevents.event_id': id,
    });
  });

  it('keeps the creation context across a forward and links it from the next consumer', async () => {
    const bus = await fx.bus();
    const first = uniqueSubject('step.one');
    const second = uniqueSubject('step.two');
    const finals: CloudEvent[] = [];
    bus.subscribe(first, async (event) => {
      await bus.publish(second, { ...event, type: 'step.two' });
    });
    bus.subscribe(second, (event) => {
      finals.push(event);
    });
    await bus.flush();
    const original = await bus.publish(first, { type: 'step.one', data: { n: 1 }, tenant: 'acme' });
    await waitFor(() => finals.length === 1);
    const producer1 = spansNamed(fx.telemetry, `publish ${first}`)[0]!;
    const consumer1 = await waitFor(() => spansNamed(fx.telemetry, `process ${first}`)[0]);
    const producer2 = await waitFor(() => spansNamed(fx.telemetry, `publish ${second}`)[0]);
    const consumer2 = await waitFor(() => spansNamed(fx.telemetry, `process ${second}`)[0]);

    const forwarded = finals[0]!;
    expect(forwarded.id).toBe(original.id);
    expect(forwarded.source).toBe('/test');
    expect(forwarded['tenant']).toBe('acme');
    // creation context: the first producer, never rewritten by the forward
    expect(forwarded.traceparent).toBe(`00-${producer1.spanContext().traceId}-${producer1.spanContext().spanId}-01`);
    // hop: second producer is a child of the first consumer; second consumer a child of it
    expect(parentOf(producer2)).toBe(consumer1.spanContext().spanId);
    expect(parentOf(consumer2)).toBe(producer2.spanContext().spanId);
    expect(consumer2.spanContext().traceId).toBe(producer1.spanContext().traceId);
    expect(consumer2.links.map((l) => l.context.spanId)).toEqual([producer1.spanContext().spanId]);
  });

  it('makes the consumer a new root with links when consumerLinks is link', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('fanout');
    let seen = 0;
    bus.subscribe(subject, () => void seen++, { consumerLinks: 'link' });
    await bus.flush();
    await bus.publish(subject, { type: 'fan.out', data: {} });
    const consumer = await waitFor(() => spansNamed(fx.telemetry, `process ${subject}`)[0]);
    const producer = spansNamed(fx.telemetry, `publish ${subject}`)[0]!;
    expect(seen).toBe(1);
    expect(parentOf(consumer)).toBeUndefined();
    expect(consumer.spanContext().traceId).not.toBe(producer.spanContext().traceId);
    expect(consumer.links.map((l) => l.context.spanId)).toEqual([producer.spanContext().spanId]);
  });

  it('records a handler failure on the span and keeps consuming', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('fails');
    const handled: number[] = [];
    bus.subscribe(subject, (event) => {
      const n = (event.data as { n: number }).n;
      if (n === 1) throw new Error('boom');
      handled.push(n);
    });
    await bus.flush();
    await bus.publish(subject, { type: 't', data: { n: 1 } });
    await bus.publish(subject, { type: 't', data: { n: 2 } });
    await waitFor(() => handled.length === 1);
    const spans = await waitFor(() => {
      const found = spansNamed(fx.telemetry, `process ${subject}`);
      return found.length === 2 ? found : undefined;
    });
    const failed = spans.find((s) => s.status.code === SpanStatusCode.ERROR)!;
    expect(failed.events.some((e) => e.name === 'exception')).toBe(true);
    expect(handled).toEqual([2]);
  });

  it('does not let a hung handler block the next message', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('hang');
    const handled: number[] = [];
    bus.subscribe(
      subject,
      async (event) => {
        const n = (event.data as { n: number }).n;
        if (n === 1) await new Promise(() => undefined);
        handled.push(n);
      },
      { timeoutMs: 300 },
    );
    await bus.flush();
    await bus.publish(subject, { type: 't', data: { n: 1 } });
    await bus.publish(subject, { type: 't', data: { n: 2 } });
    await waitFor(() => handled.length === 1);
    expect(handled).toEqual([2]);
    const timedOut = await waitFor(() =>
      spansNamed(fx.telemetry, `process ${subject}`).find((s) => s.attributes['error.type'] === 'handler_timeout'),
    );
    expect(timedOut.status.code).toBe(SpanStatusCode.ERROR);
  });
});
