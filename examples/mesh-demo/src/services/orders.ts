import type { StreamSpec } from '@service-runtime/natsbus';

/** Subject of the event the gateway publishes for each accepted order. */
export const ORDER_CREATED = 'order.created';
/** Subject of the event the worker publishes once billing accepted the order. */
export const ORDER_BILLED = 'order.billed';
/** Where the worker's consumer puts orders it gave up on. */
export const ORDER_DEAD_LETTER = 'deadletter.order.created';

/** The JetStream streams the demo uses: orders, and a stream that keeps dead letters. */
export const ORDERS_STREAM: StreamSpec = { name: 'ORDERS', subjects: ['order.>'] };
export const DEAD_LETTER_STREAM: StreamSpec = { name: 'DEADLETTER', subjects: ['deadletter.>'] };

/** `data` of `com.example.order.created`. */
export interface OrderCreated {
  orderId: string;
  sku: string;
  quantity: number;
  clientId?: string | undefined;
}

/** The SKU the worker refuses, so the demo shows a failing order end in the dead-letter subject. */
export const POISON_SKU = 'SKU-FAIL';
