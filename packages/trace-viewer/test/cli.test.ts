import { describe, expect, it } from 'vitest';
import { main, parseViewerArgs } from '../src/cli.ts';

describe('trace-viewer command line', () => {
  it('says in its help that it is a development tool that keeps traces in memory', async () => {
    const lines: string[] = [];
    expect(await main(['--help'], (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toMatch(/DEVELOPMENT TOOL/);
    expect(lines.join('\n')).toMatch(/never a production backend/);
  });

  it('reads ports, host and store limits', () => {
    expect(parseViewerArgs(['--port', '9000', '--otlp-port', '0', '--max-traces', '10', '--host', '::1'])).toEqual({
      port: 9000,
      otlpPort: 0,
      host: '::1',
      limits: { maxTraces: 10 },
    });
  });

  it('reads the store-wide span and log limits', () => {
    expect(parseViewerArgs(['--max-spans', '10', '--max-logs', '0'])).toMatchObject({
      limits: { maxSpans: 10, maxLogs: 0 },
    });
  });

  it('refuses a bad number, an unknown flag or a missing value with exit code 64', async () => {
    expect(await main(['--max-traces', '0'], () => undefined)).toBe(64);
    expect(await main(['--port', 'http'], () => undefined)).toBe(64);
    expect(await main(['--bogus'], () => undefined)).toBe(64);
    expect(await main(['--port'], () => undefined)).toBe(64);
  });

  it('serves until stopped, printing the page URL and the OTLP endpoint', async () => {
    const lines: string[] = [];
    const code = await main(
      ['--port', '0', '--otlp-port', '0'],
      (l) => lines.push(l),
      async (viewer, stop) => {
        expect((await fetch(`${viewer.url}/api/traces`)).status).toBe(200);
        stop();
      },
    );
    expect(code).toBe(0);
    expect(lines.join('\n')).toMatch(
      /http:\/\/127\.0\.0\.1:\d+\n.*OTEL_EXPORTER_OTLP_ENDPOINT=http:\/\/127\.0\.0\.1:\d+/,
    );
  });
});
