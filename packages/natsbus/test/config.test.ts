import { describe, expect, it } from 'vitest';
import { resolveBusConfig } from '../src/config.ts';

describe('createBus configuration: environment over code options over defaults', () => {
  it('lets NATS_URL override the servers named in code, and falls back to them', () => {
    const fromEnv = resolveBusConfig(
      { source: 'urn:s', servers: 'nats://code:4222' },
      { NATS_URL: 'nats://a:4222, nats://b:4222' },
    );
    expect(fromEnv.servers).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(resolveBusConfig({ source: 'urn:s', servers: ['nats://code:4222'] }, {}).servers).toEqual([
      'nats://code:4222',
    ]);
    expect(resolveBusConfig({ source: 'urn:s', servers: 'nats://code:4222' }, { NATS_URL: '  ' }).servers).toEqual([
      'nats://code:4222',
    ]);
  });

  it('lets NATSBUS_SOURCE override the source and only widens the external subjects', () => {
    const config = resolveBusConfig(
      { source: 'urn:code', servers: 'nats://x:4222', externalSubjects: ['partner.>'] },
      { NATSBUS_SOURCE: 'urn:env', NATSBUS_EXTERNAL_SUBJECTS: 'webhooks.*' },
    );
    expect(config.source).toBe('urn:env');
    expect(config.externalSubjects).toEqual(['partner.>', 'webhooks.*']);
  });

  it('refuses a bus with no servers anywhere, naming what is missing', () => {
    expect(() => resolveBusConfig({ source: 'urn:s' }, {})).toThrow(/servers.*NATS_URL/);
  });
});
