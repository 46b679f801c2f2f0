import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../src/index.ts';
import { type Fixture, parentOf, spansNamed, startFixture, uniqueSubject, waitFor } from './fixture.ts';

// Received structured-mode messages whose header block holds only the content type and trace headers
// are read from the raw bytes (no nats.js decode); anything else takes the ordinary decode. Both
// paths must give the same hop context, whatever the spelling.
let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(() => fx.close());

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const OTHER = '00-11111111111111111111111111111111-2222222222222222-01';
const body = JSON.stringify({ specversion: '1.0', id: 'e1', source: '/go', type: 't' });

function block(entries: [string, string][]): MsgHdrs {
  const h = natsHeaders();
  h.set('content-type', 'application/cloudevents+json');
  for (const [k, v] of entries) h.append(k, v);
  return h;
}

async function processOne(bus: Bus, headers: MsgHdrs, payload = body) {
  const subject = uniqueSubject('block');
  const seen: (MsgHdrs | undefined)[] = [];
  bus.subscribe(subject, (_event, ctx) => void seen.push(ctx.headers));
  await bus.flush();
  bus.connection.publish(subject, payload, { headers });
  const [span] = await waitFor(() => {
    const found = spansNamed(fx.telemetry, `process ${subject}`);
    return found.length === 1 ? found : undefined;
  });
  return { span: span!, headers: seen[0] };
}

describe('received header block', () => {
  it('reads the hop context in the canonical spelling alone', async () => {
    const { span } = await processOne(await fx.bus(), block([['Traceparent', TP]]));
    expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(parentOf(span)).toBe('b7ad6b7169203331');
  });

  it('reads both spellings and keeps tracestate', async () => {
    const { span } = await processOne(
      await fx.bus(),
      block([
        ['traceparent', TP],
        ['Traceparent', TP],
        ['tracestate', 'vendor=abc'],
        ['Tracestate', 'vendor=abc'],
      ]),
    );
    expect(parentOf(span)).toBe('b7ad6b7169203331');
    expect(span.spanContext().traceState?.get('vendor')).toBe('abc');
  });

  it('takes the lower-case value when two spellings disagree, as the header lookup does', async () => {
    const { span } = await processOne(
      await fx.bus(),
      block([
        ['Traceparent', OTHER],
        ['traceparent', TP],
      ]),
    );
    expect(parentOf(span)).toBe('b7ad6b7169203331');
  });

  it('decodes a block with any other header the ordinary way, and the handler sees it', async () => {
    const { span, headers } = await processOne(
      await fx.bus(),
      block([
        ['traceparent', TP],
        ['x-tenant', 'acme'],
      ]),
    );
    expect(parentOf(span)).toBe('b7ad6b7169203331');
    expect(headers?.get('x-tenant')).toBe('acme');
  });

  it('gives the handler the headers of a scanned block too', async () => {
    const { headers } = await processOne(await fx.bus(), block([['traceparent', TP]]));
    expect(headers?.get('traceparent')).toBe(TP);
  });

  it('parents on the hop and links nothing when the envelope carries the same context (first hop)', async () => {
    const first = JSON.stringify({ specversion: '1.0', id: 'e2', source: '/go', type: 't', traceparent: TP });
    const { span } = await processOne(await fx.bus(), block([['traceparent', TP]]), first);
    expect(parentOf(span)).toBe('b7ad6b7169203331');
    expect(span.links).toHaveLength(0);
  });
});
