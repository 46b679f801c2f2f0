import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  captureEscapes,
  captureLogs,
  spansNamed,
  startFixture,
  uniqueSubject,
  waitFor,
  type Fixture,
} from './fixture.ts';

// A core subscription whose connection closes while a handler runs: what follows the handler (the
// error reply to a requester, the dead-letter copy) hits a closed connection and must not escape as
// an unhandled rejection.

let fx: Fixture;
let logs: ReturnType<typeof captureLogs>;
let escapes: ReturnType<typeof captureEscapes>;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => fx.close());
beforeEach(() => {
  logs = captureLogs('error');
  escapes = captureEscapes();
});
afterEach(() => {
  escapes.stop();
  logs.restore();
});

describe('a core subscription whose connection closes under a running handler', () => {
  it('a failing reply handler: the error reply cannot be sent, nothing escapes', async () => {
    const server = await fx.bus();
    const client = await fx.bus();
    const subject = uniqueSubject('reply');
    let failed = false;
    server.reply(
      subject,
      async () => {
        await server.connection.close();
        failed = true;
        throw new Error('failed after the connection closed');
      },
      { deadLetterSubject: `${subject}.dlq` },
    );
    await server.flush();
    const answer = client.request(subject, { type: 'ask' }, { timeoutMs: 500 });
    await expect(answer).rejects.toThrow();
    await waitFor(() => failed);
    await waitFor(() => logs.logged('could not reply to or dead-letter').length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50)); // an unhandled rejection is reported a turn later
    expect(escapes.escaped).toEqual([]);
  });

  it('a failing handler: its dead-letter copy cannot be sent, the span says ERROR and a line says it is lost', async () => {
    const bus = await fx.bus();
    const subject = uniqueSubject('dead');
    bus.subscribe(
      subject,
      async () => {
        await bus.connection.close();
        throw new Error('failed after the connection closed');
      },
      { deadLetterSubject: `${subject}.dlq` },
    );
    await bus.flush();
    const sender = await fx.bus();
    await sender.publish(subject, { type: 't' });
    const [line] = await waitFor(() => {
      const found = logs.logged('could not dead-letter a core message');
      return found.length === 1 && found;
    });
    expect(line).toMatchObject({ subscription: subject });
    expect(spansNamed(fx.telemetry, `publish ${subject}.dlq`).map((s) => s.status.code)).toEqual([
      SpanStatusCode.ERROR,
    ]);
    expect(escapes.escaped).toEqual([]);
  });
});
