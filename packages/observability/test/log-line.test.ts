import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { jsonString, logLineWriter } from '../src/log-line.ts';
import { createLogger } from '../src/logger.ts';

// A destination that keeps each written line; the time field is blanked so lines written in
// different milliseconds compare equal.
function capture(): { destination: { write(line: string): void }; lines: string[] } {
  const lines: string[] = [];
  return { destination: { write: (line) => lines.push(line.replace(/"time":"[^"]*"/, '"time":"T"')) }, lines };
}

const tricky = ['/plain', '/q"uote', '/back\\slash', '/ctl\u0001\n', '/é/日本', '/emoji/😀', '/lone\ud800', ''];

describe('logLineWriter', () => {
  it('writes, for every string, the very bytes pino writes for the same fields', () => {
    const { destination, lines } = capture();
    const logger = createLogger({ serviceName: 'svc', destination }).child({ component: 'httpkit' });
    const write = logLineWriter(logger);
    expect(write).toBeDefined();
    for (const path of tricky) {
      const ids = { trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' };
      logger.warn({ method: 'GET', path, status: 503, duration_ms: 1.25, ...ids, aborted: true }, 'done');
      write!(
        'warn',
        `,"method":"GET","path":${jsonString(path)},"status":503,"duration_ms":1.25,"trace_id":"${ids.trace_id}","span_id":"${ids.span_id}","aborted":true`,
        'done',
      );
    }
    for (let i = 0; i < lines.length; i += 2) {
      // pino leaves lone surrogates raw; jsonString escapes them (same value once parsed)
      if (tricky[i / 2]!.includes('\ud800')) expect(JSON.parse(lines[i + 1]!)).toEqual(JSON.parse(lines[i]!));
      else expect(lines[i + 1]).toBe(lines[i]);
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', service_name: 'svc', component: 'httpkit' });
  });

  it('declines loggers whose format it cannot reproduce, so callers log the ordinary way', () => {
    const { destination } = capture();
    const own = createLogger({ destination });
    expect(logLineWriter(pino({}, destination as never))).toBeUndefined();
    expect(logLineWriter(own.child({}, { serializers: { path: () => 'x' } }))).toBeUndefined();
    expect(logLineWriter(own.child({}, { msgPrefix: '[x] ' }))).toBeUndefined();
    expect(logLineWriter(own.child({}, { formatters: { log: (o: object) => o } }))).toBeUndefined();
    expect(logLineWriter(own.child({ a: 1 }))).toBeDefined();
  });
});

describe('jsonString', () => {
  it('is a JSON string literal of any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        expect(JSON.parse(jsonString(value))).toBe(value);
      }),
    );
  });
});
