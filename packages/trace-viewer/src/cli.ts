import { parseArgs } from 'node:util';
import { TraceViewerError } from './errors.ts';
import { DEFAULT_STORE_LIMITS } from './trace-store.ts';
import { DEFAULT_OTLP_PORT, DEFAULT_PAGE_PORT, startTraceViewer, type TraceViewer } from './trace-viewer.ts';

const HELP = `usage: trace-viewer [--port <n>] [--otlp-port <n>] [--host <address>]
                    [--max-traces <n>] [--max-spans-per-trace <n>] [--max-logs-per-trace <n>]
                    [--max-spans <n>] [--max-logs <n>]

A DEVELOPMENT TOOL: receives OTLP/HTTP traces and logs (protobuf or JSON) and shows them on a web page.
Everything stays in memory, bounded (the oldest traces are evicted), and is lost when it stops; it is
never a production backend (use a Collector with Jaeger or Tempo for that, see docs/operations.md).

  --port <n>                 web page port (default ${DEFAULT_PAGE_PORT})
  --otlp-port <n>            OTLP/HTTP receiver port (default ${DEFAULT_OTLP_PORT})
  --host <address>           address both listen on (default 127.0.0.1, this machine only)
  --max-traces <n>           traces kept (default ${DEFAULT_STORE_LIMITS.maxTraces})
  --max-spans-per-trace <n>  spans kept per trace (default ${DEFAULT_STORE_LIMITS.maxSpansPerTrace})
  --max-logs-per-trace <n>   log records kept per trace (default ${DEFAULT_STORE_LIMITS.maxLogsPerTrace})
  --max-spans <n>            spans kept in all (default ${DEFAULT_STORE_LIMITS.maxSpans}, about 400 MB); past it the oldest traces go
  --max-logs <n>             log records kept in all (default ${DEFAULT_STORE_LIMITS.maxLogs})

Point a service at it: OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${DEFAULT_OTLP_PORT} OTEL_TRACES_EXPORTER=otlp OTEL_LOGS_EXPORTER=console,otlp`;

function count(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > 2 ** 31) {
    throw new TraceViewerError('USAGE', `--${name} must be a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** An unknown flag or a flag without its value is a usage error (exit 64), like a bad number. */
function parseUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new TraceViewerError('USAGE', `${(error as Error).message} (see --help)`, { cause: error });
  }
}

/** Parses `argv` (without node and script) into viewer options, or throws a `USAGE` error. */
export function parseViewerArgs(argv: string[]): Parameters<typeof startTraceViewer>[0] | 'help' {
  const { values } = parseUsage(() =>
    parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'otlp-port': { type: 'string' },
        host: { type: 'string' },
        'max-traces': { type: 'string' },
        'max-spans-per-trace': { type: 'string' },
        'max-logs-per-trace': { type: 'string' },
        'max-spans': { type: 'string' },
        'max-logs': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help) return 'help';
  const limits = {
    maxTraces: count('max-traces', values['max-traces'], 1),
    maxSpansPerTrace: count('max-spans-per-trace', values['max-spans-per-trace'], 1),
    maxLogsPerTrace: count('max-logs-per-trace', values['max-logs-per-trace'], 0),
    maxSpans: count('max-spans', values['max-spans'], 1),
    maxLogs: count('max-logs', values['max-logs'], 0),
  };
  return {
    port: count('port', values.port, 0),
    otlpPort: count('otlp-port', values['otlp-port'], 0),
    host: values.host,
    limits: Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)),
  };
}

/**
 * Runs the viewer until SIGINT or SIGTERM; returns the exit code. `onStarted` sees the running viewer
 * (tests use it to stop it).
 */
export async function main(
  argv: string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  onStarted: (viewer: TraceViewer, stop: () => void) => void = () => undefined,
): Promise<number> {
  let viewer: TraceViewer;
  try {
    const options = parseViewerArgs(argv);
    if (options === 'help') {
      out(HELP);
      return 0;
    }
    viewer = await startTraceViewer(options);
  } catch (error) {
    process.stderr.write(`trace-viewer: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof TraceViewerError && error.code === 'USAGE' ? 64 : 1;
  }
  out(`trace viewer (a development tool; traces stay in memory): ${viewer.url}`);
  out(`OTLP/HTTP receiver: OTEL_EXPORTER_OTLP_ENDPOINT=${viewer.otlpEndpoint}`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    onStarted(viewer, stop);
  });
  await viewer.close();
  return 0;
}
