// billing: a plain httpkit service. Its SERVER span continues the worker's trace.
import { randomUUID } from 'node:crypto';
import { createApp, listen, sendProblem } from '@service-runtime/httpkit';
import { announceReady } from './ready.ts';

const app = createApp();
app.post('/invoices', (req, res) => {
  const { orderId, amountCents } = (req.body ?? {}) as { orderId?: unknown; amountCents?: unknown };
  if (typeof orderId !== 'string' || typeof amountCents !== 'number') {
    sendProblem(res, 400, 'orderId (string) and amountCents (number) are required');
    return;
  }
  res.status(201).json({ invoiceId: randomUUID(), orderId, amountCents });
});

const server = await listen(app, { port: Number(process.env['PORT'] ?? 0), host: process.env['HOST'] ?? '127.0.0.1' });
announceReady({ url: server.url });
