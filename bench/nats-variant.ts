// One benchmark variant in its own process (global OTel state must not leak between variants).
// Usage: node --conditions=source bench/nats-variant.ts <raw|raw-wire|user-pattern|natsbus> <natsUrl> <count>
// Prints one JSON line: { variant, count, seconds, msgsPerSec, cpuMicrosPerMsg, health }.
import { randomUUID } from 'node:crypto';
import { CloudEvent } from 'cloudevents';
import { connect, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { context, propagation, ProxyTracerProvider, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { initObservability } from '@service-runtime/observability';
import { createBus } from '@service-runtime/natsbus';
import { BENCH_PAYLOAD } from './nats-setup.ts';

const [variant = 'raw', url = 'nats://127.0.0.1:4222', countText = '50000'] = process.argv.slice(2);
const count = Number(countText);
const warmup = Math.min(5000, Math.floor(count / 10));
const subject = 'bench.orders';
const payload = BENCH_PAYLOAD;

type Runner = {
  publish(i: number): Promise<unknown> | undefined;
  received(): number;
  flush(): Promise<void>;
  close(): Promise<void>;
};

/** Raw nats.js on two connections: `read` is the subscriber's work per message, `send` the publisher's. */
async function rawNatsRunner(read: (msg: Msg) => void, send: (pub: NatsConnection) => void): Promise<Runner> {
  const pub = await connect({ servers: url });
  const sub = await connect({ servers: url });
  let received = 0;
  sub.subscribe(subject, {
    callback: (_e, msg) => {
      read(msg);
      received++;
    },
  });
  await sub.flush();
  return {
    publish(i) {
      send(pub);
      return i % 1000 === 999 ? pub.flush() : undefined;
    },
    received: () => received,
    flush: () => pub.flush(),
    close: async () => {
      await pub.drain();
      await sub.drain();
    },
  };
}

function rawRunner(): Promise<Runner> {
  return rawNatsRunner(
    (msg) => JSON.parse(msg.string()),
    (pub) => pub.publish(subject, JSON.stringify(payload)),
  );
}

// The floor under natsbus's wire: raw nats.js sending the bytes natsbus sends (its header block of
// content type + hop traceparent in both spellings, a CloudEvents JSON envelope with a fresh id, time
// and traceparent), the subscriber reading the headers and parsing the envelope. No spans, no checks.
function rawWireRunner(): Promise<Runner> {
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
  const h = headers();
  h.set('content-type', 'application/cloudevents+json');
  h.set('traceparent', traceparent);
  h.set('Traceparent', traceparent);
  return rawNatsRunner(
    (msg) => {
      msg.headers?.get('traceparent');
      JSON.parse(msg.string());
    },
    (pub) => {
      const event = {
        specversion: '1.0',
        id: randomUUID(),
        source: '/bench',
        type: 'order.created',
        time: new Date().toISOString(),
        traceparent,
        data: payload,
      };
      pub.publish(subject, JSON.stringify(event), { headers: h });
    },
  );
}

// The pattern users write today: NodeSDK (its default OTLP exporter, configured by OTEL_* like any
// service), the cloudevents SDK, PRODUCER/CONSUMER spans by hand, nc.publish not awaited.
async function userPatternRunner(): Promise<Runner> {
  const pub = await connect({ servers: url });
  const sub = await connect({ servers: url });
  const tracer = trace.getTracer('bench-user-pattern');
  let received = 0;
  sub.subscribe(subject, {
    callback: (_e, msg) => {
      const event = new CloudEvent(JSON.parse(msg.string()) as Record<string, unknown>);
      const parent = propagation.extract(ROOT_CONTEXT, { traceparent: event['traceparent'] as string });
      const span = tracer.startSpan(
        `process ${subject}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'nats',
            'messaging.destination.name': subject,
            'messaging.operation.type': 'process',
            'cloudevents.event_id': event.id,
          },
        },
        parent,
      );
      context.with(trace.setSpan(parent, span), () => {
        received++;
      });
      span.end();
    },
  });
  await sub.flush();
  const publishEvent = (data: unknown) => {
    const span = tracer.startSpan(`send ${subject}`, {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.destination.name': subject,
        'messaging.operation.type': 'send',
      },
    });
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), span), carrier);
    const event = new CloudEvent({
      type: 'order.created',
      source: '/bench',
      data,
      traceparent: carrier['traceparent'],
    });
    span.setAttribute('cloudevents.event_id', event.id);
    const h = headers();
    h.set('content-type', 'application/cloudevents+json');
    pub.publish(subject, JSON.stringify(event), { headers: h });
    span.end();
  };
  return {
    publish(i) {
      publishEvent(payload);
      return i % 1000 === 999 ? pub.flush() : undefined;
    },
    received: () => received,
    flush: () => pub.flush(),
    close: async () => {
      await pub.drain();
      await sub.drain();
    },
  };
}

async function natsbusRunner(): Promise<Runner> {
  const publisher = await createBus({ servers: url, source: '/bench', closeOnShutdown: false });
  const consumer = await createBus({ servers: url, source: '/bench-consumer', closeOnShutdown: false });
  let received = 0;
  consumer.subscribe(subject, () => {
    received++;
  });
  await consumer.flush();
  // Like the anchor's flush every 1,000: publishes are not awaited one by one, their (truthful)
  // results are awaited together every 1,000 messages.
  let pending: Promise<unknown>[] = [];
  return {
    publish(i) {
      pending.push(publisher.publish(subject, { type: 'order.created', data: payload }));
      if (i % 1000 !== 999) return undefined;
      const batch = pending;
      pending = [];
      return Promise.all(batch);
    },
    received: () => received,
    flush: async () => {
      await Promise.all(pending);
      pending = [];
      await publisher.flush();
    },
    close: async () => {
      await publisher.close();
      await consumer.close();
    },
  };
}

interface Telemetry {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  tracingHealth?(): { exported: number; dropped: number; failed: number };
}

let flushRefusals = 0;

function startUserSdk(): Telemetry {
  const sdk = new NodeSDK({ serviceName: 'bench-user-pattern' });
  sdk.start();
  const provider = (trace.getTracerProvider() as ProxyTracerProvider).getDelegate() as unknown as Telemetry;
  // The SDK's forceFlush sends every queued batch at once and fails past its exporter's limit of
  // concurrent exports (the spans of the refused batches are lost, as they would be in a service):
  // flush until it succeeds (100 tries at most; no pause, which would be timed) and count the refusals.
  const forceFlush = async () => {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        return await provider.forceFlush();
      } catch {
        flushRefusals++;
      }
    }
    throw new Error(`the user pattern's exporter refused ${flushRefusals} flushes in a row`);
  };
  return { forceFlush, shutdown: () => sdk.shutdown() };
}

const otel: Telemetry | undefined =
  variant === 'raw' || variant === 'raw-wire'
    ? undefined
    : variant === 'user-pattern'
      ? startUserSdk()
      : initObservability({ serviceName: `bench-${variant}`, handleSignals: false });
const runner =
  variant === 'raw'
    ? await rawRunner()
    : variant === 'raw-wire'
      ? await rawWireRunner()
      : variant === 'user-pattern'
        ? await userPatternRunner()
        : await natsbusRunner();

let cpuMicros = 0;

async function run(n: number, offset: number): Promise<number> {
  const target = runner.received() + n;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const pending = runner.publish(offset + i);
    if (pending !== undefined) await pending;
  }
  await runner.flush();
  while (runner.received() < target) await new Promise((resolve) => setTimeout(resolve, 1));
  await otel?.forceFlush();
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  cpuMicros = used.user + used.system;
  return elapsed;
}

await run(warmup, 0);
const seconds = await run(count, warmup);
const health = otel?.tracingHealth?.();
await runner.close();
await otel?.shutdown();
console.log(
  JSON.stringify({
    variant,
    count,
    seconds,
    msgsPerSec: count / seconds,
    cpuMicrosPerMsg: cpuMicros / count,
    health,
    flushRefusals,
  }),
);
process.exit(0);
