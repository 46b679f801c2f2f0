import type { OtlpPostResult } from './otlp-http-sender.ts';
import { safeUrl, type Redactor } from './redact.ts';

/** Where export notices go (the service logger's `warn`/`info`). */
export interface NoticeSink {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/** Failures counted but not logged between two notices. */
const DEFAULT_INTERVAL_MS = 60_000;
/** Most of an answer a notice shows, cut after redaction so no secret is ever half shown. */
const EXCERPT_CHARS = 160;

/**
 * Logs failed OTLP exports at most once per interval: the status, error type and a short redacted
 * excerpt of the answer, with how many failures were not logged since the last notice; and once when
 * export works again. A collector in trouble costs a few log lines a minute, whatever the load.
 */
export class ExportFailureLog {
  private readonly what: string;
  private readonly endpoint: string;
  private readonly sink: NoticeSink;
  private readonly redact: Redactor;
  private readonly intervalMs: number;
  private lastNoticeAt = Number.NEGATIVE_INFINITY;
  private unreported = 0;
  private failing = false;

  constructor(what: string, endpoint: string, sink: NoticeSink, redact: Redactor, intervalMs = DEFAULT_INTERVAL_MS) {
    this.what = what;
    this.endpoint = redact(safeUrl(endpoint));
    this.sink = sink;
    this.redact = redact;
    this.intervalMs = intervalMs;
  }

  /** Records one outcome; logs when due. */
  record(result: OtlpPostResult, items: number): void {
    if (result.ok) {
      if (this.failing) {
        this.failing = false;
        this.sink.info(
          { otlp: { endpoint: this.endpoint, unreported_failures: this.unreported } },
          `${this.what} export works again`,
        );
        this.unreported = 0;
        this.lastNoticeAt = Number.NEGATIVE_INFINITY;
      }
      return;
    }
    this.failing = true;
    const now = performance.now();
    if (now - this.lastNoticeAt < this.intervalMs) {
      this.unreported++;
      return;
    }
    this.lastNoticeAt = now;
    const fields = {
      otlp: {
        endpoint: this.endpoint,
        error_type: result.errorType,
        status: result.status,
        content_type: result.contentType,
        excerpt: result.excerpt === undefined ? undefined : clip(this.redact(result.excerpt)),
        items,
        unreported_failures: this.unreported,
      },
    };
    this.unreported = 0;
    this.sink.warn(
      fields,
      `${this.what} export failed (${describe(result)}); next notice in ${this.intervalMs} ms at the earliest`,
    );
  }
}

function describe(result: Extract<OtlpPostResult, { ok: false }>): string {
  if (result.errorType === 'invalid_response') {
    return `HTTP ${result.status} with ${result.contentType || 'no content type'}, not an OTLP answer`;
  }
  return result.status === undefined ? result.errorType : `HTTP ${result.status}`;
}

function clip(text: string): string {
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}
