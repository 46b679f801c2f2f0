import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTraceViewer, type TraceViewer } from '@service-runtime/trace-viewer';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mesh, startMesh } from '../../examples/mesh-demo/src/mesh.ts';
import { runScenario, type ScenarioResult } from '../../examples/mesh-demo/src/scenario.ts';
import { repoRoot } from '../helpers/observed-process.ts';

// The demo topology (real processes, real NATS) exports spans AND log lines over OTLP to a real trace
// viewer; Debian's chromium (installed by scripts/ensure-chromium, driven by playwright-core) reads
// the page as a developer would. UPDATE_DOCS_SCREENSHOT=1 also refreshes the screenshot in docs/.
const SCREENSHOT = join(repoRoot, '.tmp', 'trace-viewer', 'trace-page.png');
const DOCS_SCREENSHOT = join(repoRoot, 'docs', 'images', 'trace-viewer.png');

let viewer: TraceViewer;
let mesh: Mesh;
let result: ScenarioResult;
let browser: BrowserContext;
let page: Page;
let userDataDir: string;

const spansOf = (traceId: string) => [...(viewer.store.get(traceId)?.spans.values() ?? [])];
const service = (s: { resource: Record<string, unknown> }) => s.resource['service.name'];
const validTrace = () => result.steps.valid.traceId!;
/** The audit consumer's trace: a new root linked to the valid order's `publish order.billed`. */
const auditSpan = () =>
  viewer.store
    .list()
    .flatMap((t) => spansOf(t.traceId))
    .find((s) => s.name === 'process order.billed' && s.links.some((l) => l.traceId === validTrace()));
const validSpan = (name: string) => spansOf(validTrace()).find((s) => s.name === name)!;

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Posts hand-made spans (one resource per service) over OTLP/JSON: input no SDK would produce. */
async function postSpans(
  traceId: string,
  spans: { spanId: string; parentSpanId: string; service: string }[],
  to: TraceViewer = viewer,
) {
  const resourceSpans = [...new Set(spans.map((s) => s.service))].map((service) => ({
    resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
    scopeSpans: [
      {
        spans: spans
          .filter((s) => s.service === service)
          .map(({ spanId, parentSpanId }) => ({
            traceId,
            spanId,
            parentSpanId,
            name: `span ${spanId.slice(0, 4)}`,
            kind: 1,
            startTimeUnixNano: '1700000000000000000',
            endTimeUnixNano: '1700000000001000000',
          })),
      },
    ],
  }));
  const response = await fetch(`${to.otlpEndpoint}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ resourceSpans }),
  });
  expect(response.status).toBe(200);
}

/** Each service's bar colour on the open trace page (one colour per service, or the test fails). */
async function barColours(): Promise<number[][]> {
  await page.locator('.span-row').first().waitFor(); // the page renders after its fetch
  const bars = await page.locator('.span-row').evaluateAll((rows) =>
    rows.map((row) => ({
      service: row.querySelector('.service')!.textContent!,
      // The bar's own (inline) colour, as the browser normalised it: rgb(r, g, b).
      rgb: (row.querySelector('.bar') as unknown as { style: { backgroundColor: string } }).style.backgroundColor,
    })),
  );
  const byService = new Map<string, string>();
  for (const bar of bars) {
    expect(byService.get(bar.service) ?? bar.rgb).toBe(bar.rgb);
    byService.set(bar.service, bar.rgb);
  }
  return [...byService.values()].map((rgb) => rgb.match(/\d+/g)!.map(Number));
}

/** The smallest RGB distance between any two of `colours`. */
function closest(colours: number[][]): number {
  let min = Infinity;
  for (const [i, a] of colours.entries()) {
    for (const b of colours.slice(i + 1)) min = Math.min(min, Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!));
  }
  return min;
}

beforeAll(async () => {
  viewer = await startTraceViewer({ port: 0, otlpPort: 0 });
  mesh = await startMesh({
    otlpEndpoint: viewer.otlpEndpoint,
    env: { OTEL_LOGS_EXPORTER: 'console,otlp', OTEL_BLRP_SCHEDULE_DELAY: '200' },
    logDir: join(repoRoot, '.tmp', 'trace-viewer-e2e'),
  });
  result = await runScenario(mesh);
  await until(() => spansOf(validTrace()).length >= 8, 'the valid order’s 8 spans');
  await until(() => auditSpan() !== undefined, 'the audit span linked to the valid order');
  await until(
    () => viewer.store.get(validTrace())!.logs.some((l) => l.body === 'order billed'),
    'the worker’s log line',
  );
  userDataDir = await mkdtemp(join(tmpdir(), 'trace-viewer-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1440, height: 860 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  // Below vitest's 30 s, so a missing element fails with playwright's message naming the locator.
  browser.setDefaultTimeout(15_000);
  page = browser.pages()[0] ?? (await browser.newPage());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await mesh?.stop();
  await viewer?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

describe('the trace viewer in a real browser, fed by the demo mesh', () => {
  it('lists the valid order’s trace with its root span, every service and its span count', async () => {
    expect(result.problems).toEqual([]);
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(viewer.url);
    const row = page.locator(`tr[data-trace-id="${validTrace()}"]`);
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain('POST /orders');
    for (const name of ['billing', 'gateway', 'identity', 'worker']) expect(text).toContain(name);
    expect(text).toContain(`\t${spansOf(validTrace()).length}\t`);
    // Filtering on errors keeps the failing order and hides the valid one.
    await page.locator('input[name="error"]').check();
    await page.locator(`tr[data-trace-id="${result.steps.failing.traceId}"]`).waitFor();
    await row.waitFor({ state: 'detached' });
    expect(new URL(page.url()).search).toBe('?error=1');
    // Offline: the page, its modules, styles and data all come from the viewer itself.
    expect(requested.length).toBeGreaterThan(3);
    expect(requested.filter((url) => !url.startsWith(viewer.url))).toEqual([]);
    page.removeAllListeners('request');
  });

  it('tells a new user on an empty list exactly what to set to see traces', async () => {
    await using empty = await startTraceViewer({ port: 0, otlpPort: 0 });
    await page.goto(empty.url);
    const setup = await page.locator('td.empty code').innerText();
    expect(setup).toBe(`OTEL_EXPORTER_OTLP_ENDPOINT=${empty.otlpEndpoint} OTEL_LOGS_EXPORTER=console,otlp`);
  });

  it('shows every span of the trace across services in the waterfall', async () => {
    await page.goto(viewer.url);
    await page.locator(`tr[data-trace-id="${validTrace()}"] a`).click();
    await page.waitForURL(`**/traces/${validTrace()}`);
    await page.locator('.span-row').first().waitFor();
    expect(await page.title()).toBe('gateway: POST /orders · traces');
    const shown = await page
      .locator('.span-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-span-id')));
    const spans = spansOf(validTrace());
    expect(shown.sort()).toEqual(spans.map((s) => s.spanId).sort());
    expect(new Set(spans.map(service))).toEqual(new Set(['gateway', 'identity', 'worker', 'billing']));
    const labels = await page.locator('.span-row .span-label').allInnerTexts();
    expect(labels).toEqual(expect.arrayContaining([expect.stringMatching(/billing\s*POST \/invoices\s*SERVER/)]));
    // A time scale over the bars: 0 and the trace's quarters.
    const ticks = await page.locator('.axis .tick').allInnerTexts();
    expect(ticks).toHaveLength(4);
    expect(ticks[0]).toBe('0');
    expect(ticks.slice(1).every((t) => /^\d+(\.\d+)? (ms|s)$/.test(t))).toBe(true);
  });

  it('paints each service’s bars in its own, clearly different colour', async () => {
    await page.goto(`${viewer.url}/traces/${validTrace()}`);
    const colours = await barColours();
    expect(colours).toHaveLength(4);
    // Far apart in RGB (neighbouring hues of one saturation, as before, were ~40 apart).
    expect(closest(colours)).toBeGreaterThan(90);
    // A service keeps its colour from page to page: the worker alone in the audit trace, in the list.
    const badge = (service: string) =>
      page
        .locator('.service', { hasText: new RegExp(`^${service}$`) })
        .first()
        .evaluate((b) => (b as unknown as { style: { backgroundColor: string } }).style.backgroundColor);
    const worker = await badge('worker');
    await page.goto(`${viewer.url}/traces/${auditSpan()!.traceId}`);
    expect(await badge('worker')).toBe(worker);
    await page.goto(viewer.url);
    expect(await badge('worker')).toBe(worker);
  });

  it('keeps ten services on one page apart, none in the error red', async () => {
    // A viewer of its own, so these services do not change the colours of the demo's (and the docs').
    await using own = await startTraceViewer({ port: 0, otlpPort: 0 });
    const traceId = 'd'.repeat(32);
    const services = Array.from({ length: 10 }, (_, i) => `service-${i}`);
    const spanId = (i: number) => (i + 1).toString(16).padStart(16, '0');
    await postSpans(
      traceId,
      services.map((service, i) => ({ spanId: spanId(i), parentSpanId: i ? spanId(0) : '', service })),
      own,
    );
    await page.goto(`${own.url}/traces/${traceId}`);
    await page.locator('.span-row').first().waitFor();
    const colours = await barColours();
    expect(colours).toHaveLength(10);
    expect(closest(colours)).toBeGreaterThan(50); // two greens of the earlier palette were 27 apart
    expect(closest([...colours, [198, 40, 40]])).toBeGreaterThan(50);
  });

  it('shows a span’s log lines beside it and in its details', async () => {
    const consumer = validSpan('process order.created');
    await page.goto(`${viewer.url}/traces/${validTrace()}`);
    const row = page.locator(`#span-${consumer.spanId}`);
    const beside = await row.locator('.span-logs').innerText();
    expect(beside).toContain('order billed');
    expect(beside).toMatch(/\b\d{2}:\d{2}:\d{2}\.\d{3} INFO order billed/); // to the millisecond
    await row.click();
    const details = await page.locator('aside.details').innerText();
    expect(details).toMatch(/Log lines \(1\)/i);
    expect(details).toContain('order billed');
  });

  it('moves the selection along the waterfall with the keyboard', async () => {
    await page.goto(`${viewer.url}/traces/${validTrace()}`);
    await page.locator('.span-row.selected').waitFor();
    const rows = await page.locator('.span-row').evaluateAll((all) => all.map((r) => r.getAttribute('data-span-id')!));
    const selected = () => page.locator('.span-row.selected').getAttribute('data-span-id');
    expect(await selected()).toBe(rows[0]);
    await page.locator('.span-row').first().focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await selected()).toBe(rows[2]);
    expect(new URL(page.url()).hash).toBe(`#span-${rows[2]}`);
    const name = spansOf(validTrace()).find((s) => s.spanId === rows[2])!.name;
    expect(await page.locator('aside.details h2').innerText()).toContain(name);
    await page.keyboard.press('ArrowUp');
    expect(await selected()).toBe(rows[1]);
    await page.keyboard.press('Tab'); // focus moves on; the selection stays until Enter
    expect(await selected()).toBe(rows[1]);
    await page.keyboard.press('Enter');
    expect(await selected()).toBe(rows[2]);
  });

  it('follows a NATS link from the audit consumer to the linked span in the order’s trace', async () => {
    const audit = auditSpan()!;
    const producer = validSpan('publish order.billed');
    expect(audit.links.map((l) => l.spanId)).toContain(producer.spanId);
    await page.goto(`${viewer.url}/traces/${audit.traceId}`);
    const link = page.locator('aside.details a.span-link', { hasText: 'worker: publish order.billed' });
    await link.click();
    await page.waitForURL(`**/traces/${validTrace()}#span-${producer.spanId}`);
    await page.locator(`#span-${producer.spanId}.selected`).waitFor();
    expect(await page.locator('aside.details h2').innerText()).toContain('publish order.billed');
    // …and back: the producer lists the audit consumer that links to it.
    const back = page.locator('aside.details a.span-backlink', { hasText: 'worker: process order.billed' });
    await back.click();
    await page.waitForURL(`**/traces/${audit.traceId}#span-${audit.spanId}`);
    await page.goBack();
    await page.locator(`#span-${producer.spanId}.selected`).waitFor();
    await mkdir(join(repoRoot, '.tmp', 'trace-viewer'), { recursive: true });
    await page.locator(`#span-${validSpan('process order.created').spanId}`).click();
    await page.screenshot({ path: SCREENSHOT });
    if (process.env['UPDATE_DOCS_SCREENSHOT'] === '1') await copyFile(SCREENSHOT, DOCS_SCREENSHOT);
  });

  it('updates the list live when a new trace arrives, without reloading the page', async () => {
    await page.goto(viewer.url);
    await page.locator(`tr[data-trace-id="${validTrace()}"]`).waitFor();
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    const response = await fetch(`${mesh.gatewayUrl}/orders`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-a-real-token', 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'SKU-123', quantity: 1 }),
    });
    const { trace_id: traceId } = (await response.json()) as { trace_id: string };
    expect(response.status).toBe(401);
    await page.locator(`tr[data-trace-id="${traceId}"]`).waitFor();
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
  });

  it('filters the list by service and by text from the page, and keeps the filter in the URL', async () => {
    await page.goto(viewer.url);
    await page.locator(`tr[data-trace-id="${validTrace()}"]`).waitFor();
    const shown = () => page.locator('tr[data-trace-id]').evaluateAll((rows) => rows.map((r) => r.dataset['traceId']));
    await page.locator('select[name="service"]').selectOption('billing');
    await page.waitForURL('**/?service=billing');
    const billing = viewer.store.list({ service: 'billing' }).map((t) => t.traceId);
    await expect.poll(shown).toEqual(billing);
    expect(billing).toContain(validTrace());
    await page.locator('select[name="service"]').selectOption('');
    await page.locator('input[name="q"]').fill('order.billed');
    await page.waitForURL('**/?q=order.billed');
    const matching = viewer.store.list({ text: 'order.billed' }).map((t) => t.traceId);
    await expect.poll(shown).toEqual(matching);
    expect(matching).toEqual(expect.arrayContaining([validTrace(), auditSpan()!.traceId]));
    expect(matching).not.toContain(result.steps.failing.traceId);
  });

  it('updates an open trace page live as more of its spans arrive', async () => {
    const traceId = 'e'.repeat(32);
    const root = { spanId: '1'.repeat(16), parentSpanId: '', service: 'early' };
    await postSpans(traceId, [root]);
    await page.goto(`${viewer.url}/traces/${traceId}`);
    await page.locator('.span-row').first().waitFor();
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    await postSpans(traceId, [{ spanId: '2'.repeat(16), parentSpanId: root.spanId, service: 'late' }]);
    await page.locator(`#span-${'2'.repeat(16)}`).waitFor();
    expect(await page.locator('.span-row').count()).toBe(2);
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
  });

  it('shows every span of a trace whose parents form a cycle (bad input), without hanging', async () => {
    const traceId = 'c'.repeat(32);
    await postSpans(traceId, [
      { spanId: 'a'.repeat(16), parentSpanId: 'b'.repeat(16), service: 'loop' },
      { spanId: 'b'.repeat(16), parentSpanId: 'a'.repeat(16), service: 'loop' },
    ]);
    await page.goto(`${viewer.url}/traces/${traceId}`);
    await page.locator('.span-row').first().waitFor();
    expect(await page.locator('.span-row').count()).toBe(2);
  });

  it('shows the failing consumer’s exception', async () => {
    const failing = spansOf(result.steps.failing.traceId!).find((s) => s.kind === 5 && s.status.code === 2)!;
    await page.goto(`${viewer.url}/traces/${failing.traceId}#span-${failing.spanId}`);
    const exception = await page.locator('aside.details .exception').first().innerText();
    expect(exception).toContain('SKU SKU-FAIL cannot be billed');
  });
});
