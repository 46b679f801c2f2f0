/**
 * The path of a request target as `url.path` and the access log record it: the query string and
 * fragment dropped, and an absolute-form target (`GET http://user:pw@host/x`) reduced to its path, so
 * userinfo, host and query values are never recorded.
 */
export function pathOf(target: string): string {
  let start = 0;
  if (target.charCodeAt(0) !== 47 /* '/' */) {
    if (target === '*') return target;
    const scheme = target.indexOf('://');
    // Absolute form: skip scheme and authority; authority form (CONNECT host:port) has no path.
    if (scheme === -1) return '/';
    start = scheme + 3;
    while (start < target.length) {
      const c = target.charCodeAt(start);
      if (c === 47 /* '/' */) break;
      if (c === 63 /* '?' */ || c === 35 /* '#' */) return '/';
      start++;
    }
    if (start === target.length) return '/';
  }
  let end = target.indexOf('?', start);
  if (end === -1) end = target.length;
  const hash = target.indexOf('#', start);
  if (hash !== -1 && hash < end) end = hash;
  return start === 0 && end === target.length ? target : target.slice(start, end);
}
