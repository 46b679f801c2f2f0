// What the hop context in NATS headers costs per message (part of `npm run bench:nats`).
// Since the wire contract writes it on every publish, the first hop included, in two spellings
// (`traceparent` for nats.js and W3C readers, `Traceparent` for OpenTelemetry Go's HeaderCarrier),
// this measures, for a structured-mode message:
//   bytes    the header block on the wire;
//   publish  building and encoding the header block: natsbus's own structuredModeHeaders (core
//            and JetStream publishes write the block as a string; a publish with caller headers
//            builds nats.js headers), and one spelling with nats.js headers, the alternative weighed;
//   receive  natsbus consuming raw messages carrying that block (nats.js parse + natsbus decode,
//            trace context read; tracing API without an SDK, so span work does not blur the delta),
//            process CPU per message, best of BENCH_HOP_ROUNDS (default 3).
import { connect, headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { createBus } from '@service-runtime/natsbus';
import { structuredHeaders, structuredModeHeaders } from '../packages/natsbus/src/outgoing.ts';
import { CLOUDEVENTS_JSON } from '../packages/natsbus/src/semconv.ts';

type Encodable = MsgHdrs & { encode(): Uint8Array };

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const BODY = JSON.stringify({
  specversion: '1.0',
  id: '8f0e3c2a-1b7d-4c55-9a51-0f3e2d1c4b5a',
  source: '/bench',
  type: 'order.created',
  time: '2026-01-01T00:00:00.000Z',
  traceparent: TRACEPARENT,
  data: { orderId: 'o-1', sku: 'SKU-1', quantity: 2, customer: 'c-1', total: 42.5, currency: 'EUR' },
});

interface Variant {
  label: string;
  /** Builds and encodes the header block as a publish would. */
  build: () => Uint8Array;
}

const shared = structuredHeaders() as Encodable;
const variants: Variant[] = [
  { label: 'no hop header (before: first hop)', build: () => shared.encode() },
  {
    label: 'one spelling, nats.js headers',
    build: () => {
      const h = natsHeaders() as Encodable;
      h.set('content-type', CLOUDEVENTS_JSON);
      h.set('traceparent', TRACEPARENT);
      return h.encode();
    },
  },
  {
    label: 'both spellings, nats.js headers (publish with caller headers)',
    build: () => (structuredModeHeaders(TRACEPARENT, undefined, undefined, undefined) as Encodable).encode(),
  },
  {
    label: 'natsbus core publish: both spellings, block written as a string',
    build: () => (structuredModeHeaders(TRACEPARENT, undefined, undefined, shared) as Encodable).encode(),
  },
];

function publishNanos(build: () => Uint8Array, n: number): number {
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += build().length;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += build().length;
  const nanos = Number(process.hrtime.bigint() - started) / n;
  if (sink < 0) console.log(sink);
  return nanos;
}

/** Process CPU µs per message for natsbus consuming `n` raw messages with `block` as their headers. */
async function receiveMicros(url: string, block: Uint8Array, n: number): Promise<number> {
  const nc = await connect({ servers: url });
  const bus = await createBus({ servers: url, source: '/bench', closeOnShutdown: false });
  const subject = `bench.hop.${Math.random().toString(36).slice(2)}`;
  let received = 0;
  bus.subscribe(subject, () => void received++);
  await bus.flush();
  const headers = Object.create(natsHeaders(), { encode: { value: () => block } }) as MsgHdrs;
  const body = new TextEncoder().encode(BODY);
  const send = async (count: number) => {
    const target = received + count;
    for (let i = 0; i < count; i++) {
      nc.publish(subject, body, { headers });
      if (i % 1000 === 999) await nc.flush();
    }
    await nc.flush();
    while (received < target) await new Promise((resolve) => setTimeout(resolve, 1));
  };
  await send(10_000);
  const cpu = process.cpuUsage();
  await send(n);
  const used = process.cpuUsage(cpu);
  await bus.close();
  await nc.close();
  return (used.user + used.system) / n;
}

/** Prints the per-message cost of the hop header (bytes, publish-side ns, receive-side CPU µs). */
export async function reportHopHeaderCost(url: string, count: number): Promise<void> {
  const rounds = Number(process.env['BENCH_HOP_ROUNDS'] ?? 3);
  const rows: { label: string; bytes: number; publish: number; receive: number }[] = [];
  for (const v of variants) {
    let publish = Number.POSITIVE_INFINITY;
    let receive = Number.POSITIVE_INFINITY;
    for (let round = 0; round < rounds; round++) {
      publish = Math.min(publish, publishNanos(v.build, 200_000));
      receive = Math.min(receive, await receiveMicros(url, v.build(), count));
    }
    rows.push({ label: v.label, bytes: v.build().length, publish, receive });
  }
  const base = rows[0]!;
  console.log(
    `\nhop context in NATS headers, per structured-mode message (${count} received per run, best of ${rounds})\n`,
  );
  console.log('| header block | bytes | publish: build + encode ns | receive: CPU µs/msg | added per message |');
  console.log('|---|---:|---:|---:|---|');
  for (const r of rows) {
    const added =
      r === base
        ? '-'
        : `+${r.bytes - base.bytes} B, +${(r.publish - base.publish).toFixed(0)} ns publish, ${r.receive - base.receive >= 0 ? '+' : ''}${(r.receive - base.receive).toFixed(2)} µs receive`;
    console.log(`| ${r.label} | ${r.bytes} | ${r.publish.toFixed(0)} | ${r.receive.toFixed(2)} | ${added} |`);
  }
}
