import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { SpanKind } from '@opentelemetry/api';
import { httpkitLogger } from './access-log.ts';
import { httpkitTracer } from './instruments.ts';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
} from './semconv.ts';

// Node's own answers to requests its parser refuses.
const STATUS_BY_CODE: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/**
 * `clientError` listener: a request Node's parser refused (headers over `maxHeaderSize`, a
 * malformed request line...) gets a problem response and one SERVER span named `HTTP` with the
 * status and `error.type`, instead of vanishing. Socket errors that are not requests are closed quietly.
 */
export function onClientError(error: Error & { code?: string }, socket: Duplex): void {
  const code = error.code ?? '';
  // A request already in progress on this socket has its own span, which ends as aborted.
  const inFlight = (socket as { _httpMessage?: unknown })._httpMessage;
  if (!(code.startsWith('HPE_') || code in STATUS_BY_CODE) || !socket.writable || inFlight != null) {
    socket.destroy();
    return;
  }
  const status = STATUS_BY_CODE[code] ?? 400;
  const span = httpkitTracer().startSpan('HTTP', { kind: SpanKind.SERVER });
  span.setAttribute(ATTR_HTTP_REQUEST_METHOD, '_OTHER');
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  span.setAttribute(ATTR_ERROR_TYPE, code);
  const remote = (socket as { remoteAddress?: string }).remoteAddress;
  if (remote !== undefined) span.setAttribute(ATTR_CLIENT_ADDRESS, remote);
  const traceId = span.spanContext().traceId;
  span.end();
  httpkitLogger().warn({ status, error_type: code, trace_id: traceId }, 'refused a malformed request');
  const title = STATUS_CODES[status] ?? 'Bad Request';
  const body = JSON.stringify({
    type: 'about:blank',
    title,
    status,
    trace_id: traceId,
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
