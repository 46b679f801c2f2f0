// The trace list at `/`: newest first, filtered by service, error and text, refreshed live.
/* global location, history, URLSearchParams */
import { assignColors, badge, clock, debounce, duration, el, getJson } from './dom.js';

/** Renders the list into `app`; `live.onChange` reloads it when traces change. */
export async function showList(app, live) {
  const params = new URLSearchParams(location.search);
  const service = el('select', { name: 'service' }, el('option', { value: '' }, 'all services'));
  const errors = el('input', { type: 'checkbox', name: 'error', checked: params.get('error') === '1' });
  const query = el('input', {
    type: 'search',
    name: 'q',
    placeholder: 'trace id, span or service name',
    value: params.get('q') ?? '',
  });
  const table = el('tbody');
  const count = el('span', { class: 'note' });
  const form = el(
    'form',
    { class: 'filters', onsubmit: (e) => e.preventDefault() },
    service,
    el('label', {}, errors, ' errors only'),
    query,
    count,
  );
  app.replaceChildren(
    form,
    el(
      'table',
      { class: 'traces' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['started', 'root span', 'services', 'spans', 'duration', ''].map((h) => el('th', {}, h)),
        ),
      ),
      table,
    ),
  );

  const load = async () => {
    const filter = new URLSearchParams();
    if (service.value) filter.set('service', service.value);
    if (errors.checked) filter.set('error', '1');
    if (query.value.trim()) filter.set('q', query.value.trim());
    history.replaceState(null, '', filter.size ? `/?${filter}` : '/');
    const { body } = await getJson(`/api/traces?${filter}`);
    const wanted = service.value || params.get('service') || '';
    service.replaceChildren(
      el('option', { value: '' }, 'all services'),
      ...body.services.map((s) => el('option', { value: s, selected: s === wanted }, s)),
    );
    assignColors(body.services);
    count.textContent = `${body.traces.length} traces · ${body.stats.evictedTraces} evicted · ${body.stats.untracedLogs} log lines without a trace`;
    table.replaceChildren(
      ...(body.traces.length
        ? body.traces.map(traceRow)
        : [
            el(
              'tr',
              {},
              el(
                'td',
                { colspan: 6, class: 'empty' },
                'No traces yet. Point a service at this viewer and its traces appear here live:',
                el(
                  'code',
                  { class: 'setup' },
                  `OTEL_EXPORTER_OTLP_ENDPOINT=${body.otlpEndpoint} OTEL_LOGS_EXPORTER=console,otlp`,
                ),
                el('span', { class: 'note' }, 'or, in the service-runtime repository: npm run demo -- --ui'),
              ),
            ),
          ]),
    );
  };
  for (const input of [service, errors]) input.addEventListener('change', load);
  query.addEventListener('input', debounce(load, 200));
  live.onChange = debounce(load, 100);
  await load();
}

function traceRow(t) {
  return el(
    'tr',
    { 'data-trace-id': t.traceId },
    el('td', { class: 'mono' }, clock(t.startTimeUnixNano)),
    el('td', {}, el('a', { href: `/traces/${t.traceId}` }, t.rootName || '(no root span)')),
    el('td', {}, t.services.map(badge)),
    el('td', {}, String(t.spanCount)),
    el('td', {}, duration(t.durationNanos)),
    el('td', {}, t.error ? el('span', { class: 'error-mark', title: 'a span has status ERROR' }, '✖ error') : ''),
  );
}
