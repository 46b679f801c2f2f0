import { inspect } from 'node:util';
import type { DiagLogger } from '@opentelemetry/api';
import type { Logger } from './logger.ts';
import type { Redactor } from './redact.ts';

/** Longest message or argument text forwarded from the SDK's diagnostics. */
const MAX_TEXT = 300;
// Redact on a bounded slice first, so a secret is never cut in half before it is recognised.
const MAX_SCANNED = 4096;

/**
 * Forwards the OpenTelemetry SDK's diagnostics to the service logger, made safe first: each message
 * and argument becomes short text with every URL reduced to scheme, host and path and every
 * configured secret blanked, so an SDK that quotes an `OTEL_*` value or a whole response body
 * neither leaks a credential nor floods the log.
 */
export function createDiagBridge(logger: Logger, redact: Redactor): DiagLogger {
  const line = (message: string, args: unknown[]) => {
    const text = clip(redact(message.slice(0, MAX_SCANNED)));
    return args.length === 0 ? { text } : { text, fields: { otel: args.map((arg) => describe(arg, redact)) } };
  };
  return {
    error: (message, ...args) => {
      const { text, fields } = line(message, args);
      logger.error(fields ?? {}, text);
    },
    warn: (message, ...args) => {
      const { text, fields } = line(message, args);
      logger.warn(fields ?? {}, text);
    },
    info: (message, ...args) => logger.info(line(message, args).text),
    debug: (message, ...args) => logger.debug(line(message, args).text),
    verbose: (message, ...args) => logger.trace(line(message, args).text),
  };
}

function describe(arg: unknown, redact: Redactor): string {
  if (typeof arg === 'string') return clip(redact(arg.slice(0, MAX_SCANNED)));
  if (ArrayBuffer.isView(arg) || arg instanceof ArrayBuffer) return `<${arg.byteLength} bytes>`;
  if (arg instanceof Error) return clip(redact(`${arg.name}: ${arg.message}`.slice(0, MAX_SCANNED)));
  const text = inspect(arg, { depth: 2, maxArrayLength: 8, maxStringLength: 200, breakLength: Infinity });
  return clip(redact(text.slice(0, MAX_SCANNED)));
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}
