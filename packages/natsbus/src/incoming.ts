import type { SpanContext } from '@opentelemetry/api';
import { decodeBinary, isBinaryMode } from './binary-mode.ts';
import { withoutTraceContext } from './envelope.ts';
import { InvalidMessageError } from './errors.ts';
import type { DecodedMessage, RawMessage } from './internal-types.ts';
import { decodeStructured } from './structured-mode.ts';
import { receiveTraceContext, type TraceContextIssue } from './trace-context.ts';
import { readTraceHeader } from './trace-headers.ts';
import type { Validator } from './types.ts';

/**
 * Decodes a received message (binary or structured mode), checks it is a CloudEvent 1.0 and runs
 * `validate`; throws InvalidMessageError with the reason. Trace context follows the W3C rules and
 * never refuses a message: an invalid one is ignored (and reported as `traceIssue`), and it is
 * removed from the event so a forward starts a fresh creation context. On an external subject the
 * trace context is not trusted: the event loses its `traceparent`/`tracestate` extension.
 */
export function decodeIncoming(
  message: RawMessage,
  external: boolean,
  validate: Validator | undefined,
): DecodedMessage {
  const plain = message.structuredOnly === true;
  const headers = plain ? undefined : message.readHeaders === undefined ? message.headers : message.readHeaders();
  const data = message.data;
  let event = isBinaryMode(headers) ? decodeBinary(headers!, data) : decodeStructured(data);
  let hop: SpanContext | undefined;
  let creation: SpanContext | undefined;
  let traceIssue: TraceContextIssue | undefined;
  if (external) {
    event = withoutTraceContext(event);
  } else {
    const creationParent = event.traceparent;
    const creationState = event.tracestate;
    if (creationParent !== undefined || creationState !== undefined) {
      const received = receiveTraceContext(creationParent, creationState);
      creation = received.context;
      traceIssue = received.issue;
      if (creation === undefined) event = withoutTraceContext(event);
      else if (received.tracestate === undefined) delete event.tracestate;
      else event.tracestate = received.tracestate;
    }
    const hopParent = plain ? message.hopTraceparent : readTraceHeader(headers, 'traceparent');
    if (hopParent !== undefined) {
      const hopState = plain ? message.hopTracestate : readTraceHeader(headers, 'tracestate');
      if (creation !== undefined && hopParent === creationParent && hopState === creationState) {
        // First hop: the headers repeat the envelope's context, already read above.
        hop = creation;
      } else {
        const received = receiveTraceContext(hopParent, hopState);
        hop = received.context;
        traceIssue = received.issue ?? traceIssue;
      }
    }
  }
  if (validate !== undefined) runValidator(validate, event);
  return { event, hop, creation, traceIssue };
}

function runValidator(validate: Validator, event: DecodedMessage['event']): void {
  let verdict: unknown;
  try {
    verdict = validate(event.data, event);
  } catch (error) {
    // A validator's message often quotes the value it refused: it stays in `cause`, never in the
    // message that reaches logs, spans and dead-letter details.
    const kind = error instanceof Error ? error.name : typeof error;
    throw new InvalidMessageError('validation_failed', `data rejected by validate (${kind})`, { cause: error });
  }
  if (verdict === false) throw new InvalidMessageError('validation_failed', 'data rejected by validate');
}
