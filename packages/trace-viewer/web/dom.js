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

/** A stable colour per service name, so one service looks the same on every row and page. */
export function color(service) {
  let hash = 0;
  for (const c of service) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 55% 42%)`;
}

export const badge = (service) =>
  el('span', { class: 'service', style: { background: color(service) } }, service || '?');
export const duration = (nanos) => {
  const ms = Number(BigInt(nanos)) / 1e6;
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
};
export const clock = (nanos) => new Date(Number(BigInt(nanos) / 1000000n)).toLocaleTimeString();
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
