import type { DestinationStream } from 'pino';
import type { ResolvedConfig } from './config.ts';
import type { NoticeSink } from './export-failure-log.ts';
import { stdoutDestination } from './log-destination.ts';
import { logRecordFromLine } from './log-line-record.ts';
import { OtlpLogExport } from './otlp-log-exporter.ts';
import { createRedactor, settingSecrets, urlSecrets } from './redact.ts';
import { createResource } from './resource.ts';

/** Where the logger's lines go, and the OTLP export behind it when `OTEL_LOGS_EXPORTER` has `otlp`. */
export interface LogOutput {
  readonly destination: DestinationStream;
  readonly otlp: OtlpLogExport | undefined;
  /** The logger that reports export failures, once it exists. */
  setNotices(sink: NoticeSink): void;
}

/**
 * Builds the logger's destination from `OTEL_LOGS_EXPORTER`: `console` (JSON lines on stdout, or the
 * destination given in code), `otlp` (each line as an OTLP log record with its trace and span ids),
 * both, or `none`. With `OTEL_SDK_DISABLED=true`, `otlp` becomes `console`.
 */
export function createLogOutput(config: ResolvedConfig, consoleDestination?: DestinationStream): LogOutput {
  // OTEL_SDK_DISABLED turns OTLP off, but the logger still works: its lines stay on stdout.
  const names = config.disabled && config.logsExporters.includes('otlp') ? ['console'] : config.logsExporters;
  const console = names.includes('console') ? (consoleDestination ?? stdoutDestination()) : undefined;
  let sink: NoticeSink | undefined;
  const notices: NoticeSink = {
    warn: (fields, message) => sink?.warn(fields, message),
    info: (fields, message) => sink?.info(fields, message),
  };
  let otlp: OtlpLogExport | undefined;
  if (names.includes('otlp')) {
    const settings = config.logsOtlp;
    const redact = createRedactor(
      settingSecrets(process.env, [...Object.values(settings.headers), ...urlSecrets(settings.url)]),
    );
    otlp = new OtlpLogExport({
      url: settings.url,
      headers: settings.headers,
      json: settings.protocol === 'http/json',
      timeoutMs: Math.min(settings.timeoutMs, config.logBatch.exportTimeoutMs),
      scheduledDelayMs: config.logBatch.scheduledDelayMs,
      maxQueueSize: config.logBatch.maxQueueSize,
      maxExportBatchSize: config.logBatch.maxExportBatchSize,
      notices,
      redact,
    });
  }
  const resource = createResource(config.resourceAttributes);
  const exporter = otlp;
  const destination: DestinationStream =
    exporter === undefined
      ? (console ?? { write: () => undefined })
      : {
          write(line: string) {
            console?.write(line);
            // a full queue costs no parse: the line is counted as dropped before it is turned into a record
            if (exporter.admit()) exporter.enqueue(logRecordFromLine(line, resource));
          },
        };
  return { destination, otlp, setNotices: (next) => (sink = next) };
}
