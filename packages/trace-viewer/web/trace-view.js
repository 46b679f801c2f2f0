// One trace at `/traces/<trace id>#span-<span id>`: the waterfall across services, each span's log
// lines under it, the selected span's details with its links as references to the linked spans.
/* global document, window, location, history */
import {
  assignColors,
  badge,
  clockMs,
  color,
  duration,
  el,
  ERROR,
  getJson,
  KINDS,
  severityClass,
  text,
} from './dom.js';
import { logList, spanDetails } from './span-details.js';

/** Renders one trace into `app`; `live.onChange` re-renders it when it receives spans or logs. */
export async function showTrace(app, live, traceId, { scroll = true } = {}) {
  const { status, body } = await getJson(`/api/traces/${traceId}`);
  if (status !== 200) {
    app.replaceChildren(
      el(
        'p',
        { class: 'empty' },
        `Trace ${traceId} is not in the viewer (not received yet, or evicted). `,
        el('a', { href: '/' }, 'All traces'),
      ),
    );
    live.onChange = (ids) => ids.includes(traceId) && showTrace(app, live, traceId);
    return;
  }
  const spans = body.spans;
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map();
  const roots = [];
  for (const s of spans) {
    if (s.parentSpanId && byId.has(s.parentSpanId))
      children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s]);
    else roots.push(s);
  }
  const ordered = [];
  const seen = new Set();
  const visit = (s, depth) => {
    if (seen.has(s.spanId)) return;
    seen.add(s.spanId);
    ordered.push({ span: s, depth });
    for (const child of children.get(s.spanId) ?? []) visit(child, depth + 1);
  };
  roots.forEach((r) => visit(r, 0));
  // Spans whose parents form a cycle (bad input) have no root above them: shown at the top level.
  for (const s of spans) {
    if (seen.has(s.spanId)) continue;
    roots.push(s);
    visit(s, 0);
  }
  const start = spans.reduce(
    (m, s) => (BigInt(s.startTimeUnixNano) < m ? BigInt(s.startTimeUnixNano) : m),
    BigInt(spans[0].startTimeUnixNano),
  );
  const end = spans.reduce((m, s) => (BigInt(s.endTimeUnixNano) > m ? BigInt(s.endTimeUnixNano) : m), 0n);
  const total = Number(end - start) || 1;
  const services = [...new Set(spans.map((s) => s.service))];
  assignColors(services, body.services);

  const details = el('aside', { class: 'details' });
  const rows = ordered.map(({ span, depth }) => spanRow(span, depth, start, total));
  const select = (spanId) => {
    const span = byId.get(spanId) ?? roots[0];
    for (const row of rows) {
      row.classList.toggle('selected', row.dataset.spanId === span.spanId);
      row.setAttribute('aria-selected', String(row.dataset.spanId === span.spanId));
    }
    details.replaceChildren(...spanDetails(span));
    return span;
  };
  const choose = (row) => {
    history.replaceState(null, '', `#span-${row.dataset.spanId}`);
    select(row.dataset.spanId);
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: 'nearest' });
  };
  const fromHash = (scrollTo = true) => {
    const span = select(location.hash.replace('#span-', ''));
    if (scrollTo) document.getElementById(`span-${span.spanId}`)?.scrollIntoView({ block: 'nearest' });
  };
  const root = roots[0];
  document.title = `${root.service}: ${root.name} · traces`; // tells several open traces apart
  app.replaceChildren(
    el(
      'div',
      { class: 'trace-head' },
      el('h1', {}, `${root.service}: ${root.name}`),
      el(
        'div',
        { class: 'meta' },
        el('span', { class: 'mono' }, traceId),
        ` · ${duration(end - start)} · ${spans.length} spans · `,
        services.map(badge),
        spans.some((s) => s.status.code === ERROR) ? el('span', { class: 'error-mark' }, ' ✖ error') : '',
      ),
    ),
    el(
      'div',
      { class: 'layout' },
      el(
        'div',
        {
          class: 'waterfall',
          role: 'listbox',
          'aria-label': 'spans of this trace',
          onclick: (e) => {
            const row = e.target.closest('.span-row');
            if (!row || e.target.closest('a')) return;
            choose(row);
          },
          // Keyboard: ↑/↓ move the selection along the waterfall, Enter or Space selects the focused row.
          onkeydown: (e) => {
            const row = e.target.closest('.span-row');
            if (!row) return;
            const next = { ArrowDown: row.nextElementSibling, ArrowUp: row.previousElementSibling }[e.key];
            if (next?.classList.contains('span-row')) choose(next);
            else if (e.key !== 'Enter' && e.key !== ' ') return;
            else choose(row);
            e.preventDefault();
          },
        },
        timeAxis(total),
        rows,
      ),
      details,
    ),
    body.logs.length ? el('section', {}, el('h3', {}, 'Log lines whose span is not here'), logList(body.logs)) : '',
  );
  window.onhashchange = () => fromHash();
  fromHash(scroll); // a live re-render keeps the reader's scroll position
  live.onChange = (ids) => ids.includes(traceId) && showTrace(app, live, traceId, { scroll: false });
}

/** The waterfall's header: the time at each quarter of the trace, on the grid lines behind the bars. */
function timeAxis(total) {
  return el(
    'div',
    { class: 'axis', role: 'presentation' },
    el('div', { class: 'note' }, 'service · span · kind'),
    el(
      'div',
      { class: 'axis-ticks' },
      [0, 1, 2, 3].map((quarter) =>
        el(
          'span',
          { class: 'tick note', style: { left: `${quarter * 25}%` } },
          quarter === 0 ? '0' : duration(BigInt(Math.round((total * quarter) / 4))),
        ),
      ),
    ),
    el('div', { class: 'duration note' }, 'duration'),
  );
}

function spanRow(span, depth, start, total) {
  const offset = (Number(BigInt(span.startTimeUnixNano) - start) / total) * 100;
  const width = (Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / total) * 100;
  const failed = span.status.code === ERROR;
  return el(
    'div',
    { class: 'span-row', id: `span-${span.spanId}`, 'data-span-id': span.spanId, tabindex: 0, role: 'option' },
    el(
      'div',
      { class: 'span-label', title: `${span.service}: ${span.name}`, style: { paddingLeft: `${depth * 14}px` } },
      badge(span.service),
      span.name,
      el('span', { class: 'kind' }, KINDS[span.kind] ?? span.kind),
      failed ? el('span', { class: 'error-mark' }, ' ✖') : '',
    ),
    el(
      'div',
      { class: 'bar-track' },
      el('div', {
        class: 'bar',
        style: {
          left: `${offset}%`,
          width: `${Math.max(width, 0.2)}%`,
          background: failed ? 'var(--error)' : color(span.service),
        },
      }),
    ),
    el('div', { class: 'duration' }, duration(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano))),
    span.logs.length
      ? el(
          'ul',
          { class: 'span-logs' },
          span.logs.map((log) =>
            el(
              'li',
              { class: severityClass(log.severityNumber), style: { paddingLeft: `${depth * 14 + 8}px` } },
              `${clockMs(log.timeUnixNano)} ${log.severityText || ''} ${text(log.body)}`,
            ),
          ),
        )
      : '',
  );
}
