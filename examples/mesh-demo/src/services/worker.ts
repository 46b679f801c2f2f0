// worker: consumes order.created from JetStream, bills it over HTTP, publishes order.billed.
import { createHttpClient } from '@service-runtime/httpkit';
import { createBus } from '@service-runtime/natsbus';
import {
  DEAD_LETTER_STREAM,
  ORDER_BILLED,
  ORDER_CREATED,
  ORDER_DEAD_LETTER,
  ORDERS_STREAM,
  type OrderCreated,
  POISON_SKU,
} from './orders.ts';
import { announceReady, requireEnv } from './ready.ts';

const billingUrl = requireEnv('BILLING_URL');
const bus = await createBus({ servers: requireEnv('NATS_URL'), source: 'urn:service:worker', name: 'worker' });
await bus.ensureStream(ORDERS_STREAM);
await bus.ensureStream(DEAD_LETTER_STREAM);
// Trace headers go to billing (a mesh host), never to hosts outside HTTPKIT_TRUSTED_HOSTS.
const billingFetch = createHttpClient({ trustedHosts: [new URL(billingUrl).host] });

await bus.consume<OrderCreated>(
  { stream: ORDERS_STREAM.name, durable: 'worker', filterSubject: ORDER_CREATED },
  async (event, ctx) => {
    const order = event.data as OrderCreated;
    if (order.sku === POISON_SKU) throw new Error(`SKU ${order.sku} cannot be billed`);
    const response = await billingFetch(`${billingUrl}/invoices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: order.orderId, amountCents: order.quantity * 1250 }),
    });
    if (!response.ok) throw new Error(`billing answered ${response.status}`);
    const invoice = (await response.json()) as { invoiceId: string };
    ctx.logger.info({ orderId: order.orderId, invoiceId: invoice.invoiceId }, 'order billed');
    await bus.publish(
      ORDER_BILLED,
      { type: 'com.example.order.billed', subject: order.orderId, data: { ...order, invoiceId: invoice.invoiceId } },
      { jetstream: true },
    );
  },
  { maxDeliver: 3, backoffMs: [100, 200], deadLetterSubject: ORDER_DEAD_LETTER, timeoutMs: 5000 },
);

// Audit: a fan-out reader of order.billed whose work is not part of the order's trace. With
// consumerLinks 'link' each message starts a new trace, linked to the publish that sent it.
bus.subscribe(
  ORDER_BILLED,
  async (event, ctx) => {
    ctx.logger.info({ orderId: event.subject }, 'order audited');
  },
  { queue: 'audit', consumerLinks: 'link' },
);

announceReady({ consumer: 'ORDERS/worker' });
