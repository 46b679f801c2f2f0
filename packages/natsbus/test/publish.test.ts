import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublishError } from '../src/index.ts';
import { startFixture, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => fx.close());

describe('publish refuses what NATS forbids', () => {
  for (const subject of ['orders.*', '>', 'orders.>', 'a..b', '.a', 'a.', 'has space']) {
    it(`"${subject}" is refused with invalid_subject, nothing is sent`, async () => {
      const bus = await fx.bus();
      const seen: string[] = [];
      bus.connection.subscribe('>', { callback: (_e, msg) => void seen.push(msg.subject) });
      await bus.flush();
      const result = bus.publish(subject, { type: 't' });
      await expect(result).rejects.toBeInstanceOf(PublishError);
      await expect(result).rejects.toMatchObject({ code: 'invalid_subject' });
      await bus.flush();
      expect(seen).toEqual([]);
    });
  }
});
