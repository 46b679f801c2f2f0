// Binary content mode both ways (CloudEvents NATS binding 1.0.3 §3.1.3.2): any Unicode attribute
// value survives percent-encoding, a header carries only what the binding allows, a value quoted
// the RFC 7230 way by an older writer decodes to the same text, and any event whose attributes are
// arbitrary strings makes the round trip through a real nats-server unchanged.
import { createBus, type Bus, type CloudEvent } from '@service-runtime/natsbus';
import { setupTestTelemetry, type TestTelemetry } from '@service-runtime/observability/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHeaderValue, percentEncode } from '../../packages/natsbus/src/binary-mode.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

/** What a header value may hold after encoding: printable ASCII without space, `"` and `%`, or `%XY`. */
const ENCODED = /^(?:[\x21\x23\x24\x26-\x7e]|%[0-9A-F]{2})*$/;
const text = fc.string({ unit: 'grapheme', maxLength: 40 });

describe('percent-encoding of ce- header values', () => {
  it('round-trips any Unicode text and leaves only what a header may carry', () => {
    fc.assert(
      fc.property(text, (value) => {
        const encoded = percentEncode(value);
        expect(encoded).toMatch(ENCODED);
        expect(decodeHeaderValue(encoded)).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it('reads a value quoted by an older writer (RFC 7230 quoted-string) as the same text', () => {
    fc.assert(
      fc.property(text, (value) => {
        const quoted = `"${percentEncode(value).replace(/["\\]/g, '\\$&')}"`;
        expect(decodeHeaderValue(quoted)).toBe(value);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts lower-case hex and unnecessary escapes', () => {
    fc.assert(
      fc.property(text, (value) => {
        const everyByte = [...Buffer.from(value, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
        expect(decodeHeaderValue(everyByte)).toBe(value);
      }),
      { numRuns: 300 },
    );
  });
});

describe('binary mode through nats-server', () => {
  let server: NatsServer;
  let telemetry: TestTelemetry;
  let bus: Bus;
  const received: CloudEvent[] = [];
  const SUBJECT = 'properties.binary';

  beforeAll(async () => {
    process.env['LOG_LEVEL'] ??= 'silent';
    telemetry = setupTestTelemetry({ serviceName: 'properties-binary' });
    server = await startNatsServer();
    bus = await createBus({ servers: server.url, source: '/properties', closeOnShutdown: false });
    bus.subscribe(SUBJECT, (event) => void received.push(event));
    await bus.flush();
  });
  afterAll(async () => {
    await bus?.close();
    await server?.close();
    await telemetry?.shutdown();
  });

  it('delivers arbitrary string attributes, extensions and text data unchanged', async () => {
    const nonEmpty = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          type: nonEmpty,
          source: nonEmpty,
          subject: nonEmpty,
          note: fc.string({ unit: 'grapheme', maxLength: 30 }),
          data: fc.string({ unit: 'grapheme', maxLength: 60 }),
        }),
        async ({ type, source, subject, note, data }) => {
          const before = received.length;
          const { id } = await bus.publish(
            SUBJECT,
            { type, source, subject, note, datacontenttype: 'text/plain; charset=utf-8', data },
            { contentMode: 'binary' },
          );
          await bus.flush();
          for (let i = 0; i < 200 && received.length === before; i++) await new Promise((r) => setTimeout(r, 5));
          const event = received.at(-1);
          const expectedData = data === '' ? undefined : data;
          expect(event).toMatchObject({
            id,
            type,
            source,
            subject,
            note,
            datacontenttype: 'text/plain; charset=utf-8',
          });
          expect(event?.data).toEqual(expectedData);
        },
      ),
      { numRuns: 60 },
    );
  });
});
