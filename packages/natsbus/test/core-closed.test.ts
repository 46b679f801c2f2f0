import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, getLogger, setLogger, type Logger } from '../../observability/src/logger.ts';
import { spansNamed, startFixture, uniqueSubject, waitFor, type Fixture } from './fixture.ts';

// A core subscription whose connection closes while a handler runs: what follows the handler (the
// error reply to a requester, the dead-letter copy) hits a closed connection and must not escape as
// an unhandled rejection.

let fx: Fixture;
const escaped: unknown[] = [];
const onEscape = (error: unknown) => void escaped.push(error);
beforeAll(async () => {
  fx = await startFixture();
  process.on('unhandledRejection', onEscape);
});
afterAll(async () => {
  process.off('unhandledRejection', onEscape);
  await fx.close();
});
let previous: Logger;
let lines: { msg: string; subscription?: string }[];
beforeEach(() => {
  previous = getLogger();
  lines = [];
  escaped.length = 0;
  setLogger(
    createLogger({ level: 'error', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } }),
  );
});
afterEach(() => setLogger(previous));

function logged(text: string): { msg: string; subscription?: string }[] {
  getLogger().flush?.();
  return lines.filter((line) => line.msg.includes(text));
}

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
    await waitFor(() => logged('could not reply to or dead-letter').length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50)); // an unhandled rejection is reported a turn later
    expect(escaped).toEqual([]);
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
    const [line] = await waitFor(() => logged('could not dead-letter a core message').length === 1 && lines);
    expect(line).toMatchObject({ subscription: subject });
    expect(spansNamed(fx.telemetry, `publish ${subject}.dlq`).map((s) => s.status.code)).toEqual([
      SpanStatusCode.ERROR,
    ]);
    expect(escaped).toEqual([]);
  });
});
