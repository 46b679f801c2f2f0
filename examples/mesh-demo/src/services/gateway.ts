// gateway: POST /orders behind requireAuth (scope orders:write), publishes order.created to JetStream.
import { randomUUID } from 'node:crypto';
import { addReadinessCheck, createApp, listen, sendProblem } from '@service-runtime/httpkit';
import { createIdentityClient, requireAuth } from '@service-runtime/identityclient';
import { createBus } from '@service-runtime/natsbus';
import { getTraceIds } from '@service-runtime/observability';
import { ORDER_CREATED, ORDERS_STREAM, type OrderCreated } from './orders.ts';
import { announceReady, requireEnv } from './ready.ts';

const bus = await createBus({ servers: requireEnv('NATS_URL'), source: 'urn:service:gateway', name: 'gateway' });
await bus.ensureStream(ORDERS_STREAM);
const identity = createIdentityClient(); // IDENTITY_INTROSPECTION_URL, IDENTITY_CLIENT_ID, IDENTITY_CLIENT_SECRET

// The gateway faces the outside: callers' trace headers start a new trace (linked), never continue one.
const app = createApp({ trustIncomingTraceContext: false });
addReadinessCheck(app, 'nats', () => {
  if (bus.connection.isClosed()) throw new Error('NATS connection closed');
});

app.post('/orders', requireAuth(identity, { scopes: ['orders:write'] }), async (req, res) => {
  const { sku, quantity } = (req.body ?? {}) as { sku?: unknown; quantity?: unknown };
  if (typeof sku !== 'string' || !Number.isInteger(quantity) || (quantity as number) < 1) {
    sendProblem(res, 400, 'sku (string) and quantity (positive integer) are required');
    return;
  }
  const order: OrderCreated = {
    orderId: randomUUID(),
    sku,
    quantity: quantity as number,
    clientId: req.auth?.client_id,
  };
  const { id } = await bus.publish(
    ORDER_CREATED,
    { type: 'com.example.order.created', subject: order.orderId, data: order },
    { jetstream: true },
  );
  res.status(202).json({ orderId: order.orderId, eventId: id, trace_id: getTraceIds().trace_id });
});

const server = await listen(app, { port: Number(process.env['PORT'] ?? 0), host: process.env['HOST'] ?? '127.0.0.1' });
announceReady({ url: server.url });
