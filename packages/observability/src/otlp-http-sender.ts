import http from 'node:http';
import https from 'node:https';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

/** Where and how an {@link OtlpHttpSender} posts. */
export interface OtlpHttpSenderOptions {
  /** Full signal URL, e.g. `http://collector:4318/v1/traces`. */
  url: string;
  /** Extra request headers (`OTEL_EXPORTER_OTLP_*HEADERS`); their values are never reported. */
  headers: Record<string, string>;
  /** `application/x-protobuf` or `application/json`. */
  contentType: string;
  /** Whole-request bound: connect, upload, answer and body. The request and its socket are destroyed at it. */
  timeoutMs: number;
}

/** The outcome of one post; a failure names its kind as `errorType` (`timeout`, `503`, `ECONNREFUSED`...). */
export type OtlpPostResult =
  | { ok: true; status: number }
  | { ok: false; errorType: string; status?: number; contentType?: string; excerpt?: string };
// `excerpt` is the start of the answer as printable text, not yet redacted: a reader redacts, then clips.

/** Most of an answer body read: enough for an OTLP response or a short excerpt, never a 10 MB page. */
const MAX_BODY_BYTES = 64 * 1024;
// Longer than any notice shows, so a secret near the cut is still whole when the notice redacts it.
const EXCERPT_SCANNED_CHARS = 1024;
const USER_AGENT = 'service-runtime-otlp/0.1.0';
const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE']);
// Export requests are never traced: with instrumentation-http active, each export would otherwise
// make a span (its url.full quoting the endpoint's query), exported by the next export, and so on.
const UNTRACED = suppressTracing(ROOT_CONTEXT);

/**
 * POSTs one OTLP/HTTP body at a time. A second post while one is in flight fails at once as
 * `export_in_flight`; at `timeoutMs` the request and its socket are destroyed, so a collector that
 * hangs or drips costs one socket, and the next post opens a fresh connection by itself.
 * Shared by every OTLP/HTTP signal exporter.
 */
export class OtlpHttpSender {
  private readonly options: OtlpHttpSenderOptions;
  private readonly agent: http.Agent;
  private readonly target: URL;
  private inFlight: http.ClientRequest | undefined;
  private closed = false;

  constructor(options: OtlpHttpSenderOptions) {
    this.options = options;
    this.target = new URL(options.url);
    const isHttps = this.target.protocol === 'https:';
    this.agent = new (isHttps ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: 1 });
  }

  /** Posts `body`; never rejects. */
  post(body: Uint8Array): Promise<OtlpPostResult> {
    if (this.closed) return Promise.resolve({ ok: false, errorType: 'shutdown' });
    if (this.inFlight !== undefined) return Promise.resolve({ ok: false, errorType: 'export_in_flight' });
    return new Promise<OtlpPostResult>((resolve) => {
      let settled = false;
      let request: http.ClientRequest | undefined;
      const finish = (result: OtlpPostResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // A failed or cut request never goes back to the pool: its socket is closed now.
        if (!result.ok) request?.destroy();
        if (this.inFlight === request) this.inFlight = undefined;
        resolve(result);
      };
      const timer = setTimeout(() => finish({ ok: false, errorType: 'timeout' }), this.options.timeoutMs);
      timer.unref();
      const attempt = (mayRetry: boolean) => {
        let current: http.ClientRequest;
        try {
          const transport = this.target.protocol === 'https:' ? https : http;
          current = context.with(UNTRACED, () =>
            transport.request(this.target, {
              method: 'POST',
              agent: this.agent,
              headers: {
                ...this.options.headers,
                'content-type': this.options.contentType,
                'content-length': body.byteLength,
                'user-agent': USER_AGENT,
              },
            }),
          );
        } catch (error) {
          // Invalid header names or values throw here; the code names the problem, never the value.
          finish({ ok: false, errorType: codeOf(error) });
          return;
        }
        request = current;
        this.inFlight = current;
        let answered = false;
        current.on('error', (error) => {
          const code = codeOf(error);
          // A kept-alive socket the collector closed just as it was reused (Node's documented race):
          // one more try on a fresh connection, within the same deadline.
          if (mayRetry && !answered && !settled && current.reusedSocket && RESET_CODES.has(code)) {
            attempt(false);
            return;
          }
          finish({ ok: false, errorType: code });
        });
        current.on('response', (response) => {
          answered = true;
          readAnswer(response, finish, this.options.contentType);
        });
        current.end(body);
      };
      attempt(true);
    });
  }

  /** Cuts the request in flight, if any, and closes every pooled socket. */
  close(): void {
    this.closed = true;
    this.inFlight?.destroy();
    this.inFlight = undefined;
    this.agent.destroy();
  }
}

function readAnswer(
  response: http.IncomingMessage,
  finish: (result: OtlpPostResult) => void,
  expectedType: string,
): void {
  const status = response.statusCode ?? 0;
  const contentType = String(response.headers['content-type'] ?? '');
  const chunks: Buffer[] = [];
  let size = 0;
  const judge = (truncated: boolean) => {
    const body = Buffer.concat(chunks);
    if (status >= 200 && status < 300 && !truncated) {
      // An empty answer or one in the protocol's type is a success; anything else (an HTML login
      // page from a proxy, say) means the spans never reached a collector.
      if (body.length === 0 || contentType.split(';')[0]?.trim() === expectedType) {
        finish({ ok: true, status });
        return;
      }
    }
    finish({
      ok: false,
      status,
      errorType: status >= 200 && status < 300 ? 'invalid_response' : String(status),
      contentType: contentType.slice(0, 64),
      excerpt: excerptOf(body),
    });
  };
  response.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      judge(true);
      return;
    }
    chunks.push(chunk);
  });
  response.on('end', () => judge(false));
  response.on('error', (error) => finish({ ok: false, status, errorType: codeOf(error) }));
}

/** The first characters of an answer as one line of printable text. */
function excerptOf(body: Buffer): string | undefined {
  if (body.length === 0) return undefined;
  return body
    .subarray(0, EXCERPT_SCANNED_CHARS * 4)
    .toString('utf8')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, EXCERPT_SCANNED_CHARS);
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? code : 'request_failed';
}
