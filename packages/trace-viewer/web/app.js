// The trace viewer's page: plain JavaScript modules served by the viewer itself (no build step, no CDN).
// Routes: `/` the trace list, `/traces/<trace id>#span-<span id>` one trace with one span selected.
/* global document, location, EventSource */
import { showList } from './list-view.js';
import { showTrace } from './trace-view.js';

const app = document.getElementById('app');
const status = document.getElementById('live');
/** The current view's reaction to changed trace ids, pushed by the viewer over server-sent events. */
const live = { onChange: () => undefined };
const events = new EventSource('/api/events');
events.addEventListener('open', () => (status.textContent = 'live'));
events.addEventListener('error', () => (status.textContent = 'reconnecting…'));
events.addEventListener('traces', (event) => live.onChange(JSON.parse(event.data)));

const match = /^\/traces\/([0-9a-f]{32})$/.exec(location.pathname);
await (match ? showTrace(app, live, match[1]) : showList(app, live));
