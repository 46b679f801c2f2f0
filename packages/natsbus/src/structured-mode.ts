import { checkReceivedEvent } from './envelope.ts';
import { InvalidMessageError } from './errors.ts';
import type { CloudEvent } from './types.ts';

/** The structured-mode body: the whole event as one JSON object (binary data as `data_base64`). */
export function encodeStructured(event: CloudEvent): Buffer {
  if (event.data instanceof Uint8Array) {
    const { data, ...rest } = event;
    return Buffer.from(JSON.stringify({ ...rest, data_base64: Buffer.from(data).toString('base64') }));
  }
  return Buffer.from(JSON.stringify(event));
}

/** The event in a structured-mode body; InvalidMessageError when it is not JSON or not a CloudEvent. */
export function decodeStructured(body: Uint8Array): CloudEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(textOf(body));
  } catch (error) {
    throw new InvalidMessageError('invalid_json', 'payload is not valid JSON', { cause: error });
  }
  const event = checkReceivedEvent(parsed);
  const base64 = event['data_base64'];
  if (typeof base64 === 'string') {
    delete event['data_base64'];
    event.data = Buffer.from(base64, 'base64');
  }
  return event;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text of a body; invalid UTF-8 counts as bad JSON. */
export function textOf(body: Uint8Array): string {
  try {
    return decoder.decode(body);
  } catch (error) {
    throw new InvalidMessageError('invalid_json', 'payload is not valid UTF-8', { cause: error });
  }
}
