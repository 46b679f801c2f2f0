import type { SpanContext } from '@opentelemetry/api';
import { decodeBinary, isBinaryMode } from './binary-mode.ts';
import { InvalidMessageError } from './errors.ts';
import type { DecodedMessage, RawMessage } from './internal-types.ts';
import { decodeStructured } from './structured-mode.ts';
import { parseTraceContext, readHeader } from './trace-headers.ts';
import type { Validator } from './types.ts';

/**
 * Decodes a received message (binary or structured mode), checks it is a CloudEvent 1.0 with a
 * well-formed trace context, and runs `validate`. Throws InvalidMessageError with the reason.
 * On an external subject the trace context of the message is ignored (not trusted, not checked).
 */
export function decodeIncoming(
  message: RawMessage,
  external: boolean,
  validate: Validator | undefined,
): DecodedMessage {
  const plain = message.structuredOnly === true;
  const headers = plain ? undefined : message.headers;
  const data = message.data;
  const event = isBinaryMode(headers) ? decodeBinary(headers!, data) : decodeStructured(data);
  let hop: SpanContext | undefined;
  let creation: SpanContext | undefined;
  if (!external) {
    const traceparent = event.traceparent;
    if (traceparent !== undefined) {
      if (typeof traceparent !== 'string') {
        throw new InvalidMessageError('invalid_traceparent', 'traceparent extension is not a string');
      }
      const tracestate = typeof event.tracestate === 'string' ? event.tracestate : undefined;
      creation = parseTraceContext(traceparent, tracestate);
    }
    if (headers !== undefined) {
      const hopParent = readHeader(headers, 'traceparent');
      if (hopParent !== undefined) hop = parseTraceContext(hopParent, readHeader(headers, 'tracestate'));
    }
  }
  if (validate !== undefined) runValidator(validate, event);
  return { event, hop, creation };
}

function runValidator(validate: Validator, event: DecodedMessage['event']): void {
  let verdict: unknown;
  try {
    verdict = validate(event.data, event);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new InvalidMessageError('validation_failed', `data rejected by validate: ${detail}`, { cause: error });
  }
  if (verdict === false) throw new InvalidMessageError('validation_failed', 'data rejected by validate');
}
