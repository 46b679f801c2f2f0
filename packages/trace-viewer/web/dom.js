// Small DOM and formatting helpers shared by the viewer's pages.
/* global document, setTimeout, clearTimeout */

export const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
export const ERROR = 2;

/** Builds an element; strings become text nodes (never HTML: span names come from services). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'style') Object.assign(node.style, value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== undefined && child !== null) node.append(child);
  return node;
}

/** Ten colours at least ΔE 22 apart (CIE76) that carry white text (contrast ≥ 4.5); none is the error red. */
const PALETTE = [
  '#37474f',
  '#6d4c41',
  '#00838f',
  '#ad1457',
  '#827717',
  '#283593',
  '#1565c0',
  '#6a1b9a',
  '#2e7d32',
  '#b45f06',
];
const hashOf = (name) => [...name].reduce((hash, c) => (hash * 31 + c.charCodeAt(0)) >>> 0, 0);
let assigned = new Map();

/** Palette slots for `names` (sorted): each its hash's slot, or the next one `used` leaves free. */
function slotsFor(names, preferred, used = new Set()) {
  const slots = new Map();
  for (const name of [...new Set(names)].sort()) {
    let slot = preferred(name);
    for (let tries = 0; used.has(slot) && tries < PALETTE.length; tries++) slot = (slot + 1) % PALETTE.length;
    used.add(slot);
    slots.set(name, slot);
  }
  return slots;
}

/**
 * Colours the services of a page: each keeps the colour it has among all the viewer's services (the
 * same on every page), and only a clash on this page (more than ten services in all) moves one.
 */
export function assignColors(pageServices, allServices = pageServices) {
  const global = slotsFor(allServices, (name) => hashOf(name) % PALETTE.length);
  const onPage = slotsFor(pageServices, (name) => global.get(name) ?? hashOf(name) % PALETTE.length);
  assigned = new Map([...onPage].map(([name, slot]) => [name, PALETTE[slot]]));
}

/** The colour of a service: the one {@link assignColors} gave it, else its hash's slot. */
export const color = (service) => assigned.get(service) ?? PALETTE[hashOf(service) % PALETTE.length];

export const badge = (service) =>
  el('span', { class: 'service', style: { background: color(service) } }, service || '?');
export const duration = (nanos) => {
  const ms = Number(BigInt(nanos)) / 1e6;
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
};
export const clock = (nanos) => new Date(Number(BigInt(nanos) / 1000000n)).toLocaleTimeString();
/** Wall-clock time to the millisecond: the log lines and events of one request share a second. */
export const clockMs = (nanos) =>
  new Date(Number(BigInt(nanos) / 1000000n)).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    fractionalSecondDigits: 3,
    hourCycle: 'h23',
  });
export const text = (value) => (typeof value === 'string' ? value : JSON.stringify(value));
export const severityClass = (n) => (n >= 17 ? 'sev-error' : n >= 13 ? 'sev-warn' : undefined);

export async function getJson(url) {
  const response = await fetch(url, { cache: 'no-store' });
  return { status: response.status, body: await response.json() };
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
