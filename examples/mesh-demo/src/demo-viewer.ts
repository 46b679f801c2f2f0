import {
  DEFAULT_OTLP_PORT,
  DEFAULT_PAGE_PORT,
  startTraceViewer,
  type TraceViewer,
  type OtlpSpan,
} from '@service-runtime/trace-viewer';

/** The trace viewer `npm run demo -- --ui` sends to: one already running, or one it started. */
export interface DemoViewer {
  readonly url: string;
  readonly otlpEndpoint: string;
  /** The viewer this process started (it holds the spans), or undefined for one already running. */
  readonly started: TraceViewer | undefined;
  /** Every span the started viewer holds; undefined for a viewer in another process. */
  spans(): OtlpSpan[] | undefined;
}

async function isViewer(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/api/traces`, { signal: AbortSignal.timeout(1000) });
    return response.ok && Array.isArray(((await response.json()) as { traces?: unknown }).traces);
  } catch {
    return false;
  }
}

/** Uses `npm run traces` when it runs on its default ports, else starts a viewer here (default ports, or free ones). */
export async function connectDemoViewer(): Promise<DemoViewer> {
  const running = `http://127.0.0.1:${DEFAULT_PAGE_PORT}`;
  if (await isViewer(running)) {
    const otlpEndpoint = `http://127.0.0.1:${DEFAULT_OTLP_PORT}`;
    return { url: running, otlpEndpoint, started: undefined, spans: () => undefined };
  }
  const viewer = await startTraceViewer().catch(() => startTraceViewer({ port: 0, otlpPort: 0 }));
  return {
    url: viewer.url,
    otlpEndpoint: viewer.otlpEndpoint,
    started: viewer,
    spans: () => viewer.store.list().flatMap((t) => [...(viewer.store.get(t.traceId)?.spans.values() ?? [])]),
  };
}
