// The details pane of the selected span: its fields, exception, links both ways, log lines,
// attributes, events and resource.
import { badge, clockMs, duration, el, KINDS, severityClass, text } from './dom.js';

function kvTable(attributes) {
  const entries = Object.entries(attributes);
  return entries.length
    ? el(
        'table',
        { class: 'kv' },
        entries.map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', { class: 'mono' }, text(v)))),
      )
    : el('p', { class: 'note' }, 'none');
}

/** A clickable reference to a span (of this trace or, noted, of another one). */
function spanReference(target, className, label, ownTraceId) {
  return [
    el('a', { href: `/traces/${target.traceId}#span-${target.spanId}`, class: className }, label),
    target.traceId !== ownTraceId ? el('span', { class: 'note' }, ` in trace ${target.traceId.slice(0, 8)}…`) : '',
  ];
}

/** Log lines with their attributes: under the selected span, and under the trace for spans not here. */
export function logList(logs) {
  return el(
    'ul',
    { class: 'log-lines' },
    logs.map((log) =>
      el(
        'li',
        { class: severityClass(log.severityNumber) },
        el('span', { class: 'mono' }, `${clockMs(log.timeUnixNano)} ${log.severityText || ''} `),
        text(log.body),
        Object.keys(log.attributes).length ? kvTable(log.attributes) : '',
      ),
    ),
  );
}

/** The selected span: status, ids, exception, links, log lines, attributes, events, resource (flat, for replaceChildren). */
export function spanDetails(span) {
  const exceptions = span.events.filter((e) => e.name === 'exception');
  const others = span.events.filter((e) => e.name !== 'exception');
  return [
    el('h2', {}, badge(span.service), span.name),
    kvTable({
      kind: KINDS[span.kind] ?? span.kind,
      status: ['UNSET', 'OK', 'ERROR'][span.status.code] ?? span.status.code,
      ...(span.status.message ? { 'status message': span.status.message } : {}),
      duration: duration(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)),
      'span id': span.spanId,
      'parent span id': span.parentSpanId || '(root)',
      scope: span.scope || '(none)',
    }),
    exceptions.length
      ? [
          el('h3', {}, 'Exception'),
          exceptions.map((e) =>
            el(
              'div',
              { class: 'exception' },
              el('strong', {}, text(e.attributes['exception.type'] ?? 'Error')),
              ': ',
              text(e.attributes['exception.message'] ?? ''),
              e.attributes['exception.stacktrace'] ? el('pre', {}, text(e.attributes['exception.stacktrace'])) : '',
            ),
          ),
        ]
      : '',
    el('h3', {}, `Links (${span.links.length})`),
    span.links.length
      ? el(
          'ul',
          { class: 'links' },
          span.links.map((link) =>
            el(
              'li',
              {},
              spanReference(
                link,
                'span-link',
                link.target
                  ? `→ ${link.target.service}: ${link.target.name}`
                  : `→ span ${link.spanId} (not in the viewer)`,
                span.traceId,
              ),
              Object.keys(link.attributes).length ? kvTable(link.attributes) : '',
            ),
          ),
        )
      : el('p', { class: 'note' }, 'none'),
    span.linkedFrom.length
      ? [
          el('h3', {}, `Linked from (${span.linkedFrom.length})`),
          el(
            'ul',
            { class: 'links' },
            span.linkedFrom.map((from) =>
              el('li', {}, spanReference(from, 'span-backlink', `← ${from.service}: ${from.name}`, span.traceId)),
            ),
          ),
        ]
      : '',
    el('h3', {}, `Log lines (${span.logs.length})`),
    span.logs.length ? logList(span.logs) : el('p', { class: 'note' }, 'none'),
    el('h3', {}, 'Attributes'),
    kvTable(span.attributes),
    others.length
      ? [
          el('h3', {}, 'Events'),
          others.map((e) =>
            el('div', {}, el('strong', {}, e.name), ` ${clockMs(e.timeUnixNano)}`, kvTable(e.attributes)),
          ),
        ]
      : '',
    el('h3', {}, 'Resource'),
    kvTable(span.resource),
  ].flat(2);
}
