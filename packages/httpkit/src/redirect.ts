/** Statuses the traced fetch follows, as fetch does. */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** Most redirects followed for one call (fetch's limit); one more fails the call. */
export const MAX_REDIRECTS = 20;
/** Dropped when a redirect turns the request into a GET without a body. */
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];
/** Credentials a redirect to another origin must not carry (browsers drop them too). */
const CROSS_ORIGIN_DROPPED = ['authorization', 'proxy-authorization', 'cookie'];

/** A request body as `fetch` takes it. */
export type RequestBody = NonNullable<RequestInit['body']>;

/** A body the traced fetch cannot send twice (a stream), so a 307/308 cannot be followed. */
export const UNSENDABLE = Symbol('unsendable body');

/** One request of a call that may be redirected. */
export interface Hop {
  url: URL;
  method: string;
  headers: Headers;
  body: RequestBody | null | typeof UNSENDABLE;
}

/** `body` when it can be sent again on a 307/308 (not a stream), else {@link UNSENDABLE}. */
export function resendableBody(body: RequestBody): RequestBody | typeof UNSENDABLE {
  if (
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof URLSearchParams ||
    body instanceof FormData
  ) {
    return body;
  }
  return UNSENDABLE;
}

/** True when `response` is a redirect with a `Location` to follow. */
export function isRedirect(response: Response): boolean {
  return REDIRECT_STATUSES.has(response.status) && response.headers.has('location');
}

/**
 * The request a redirect answer leads to, by the fetch standard's rules: 303 (and 301/302 after a
 * POST) become a bodiless GET; 307/308 resend method and body; a hop to another origin drops
 * `authorization`, `proxy-authorization` and `cookie`, for this and every later hop. Throws, never
 * quoting the location, when it cannot be followed.
 */
export function nextHop(hop: Hop, response: Response): Hop {
  let url: URL;
  try {
    url = new URL(response.headers.get('location') ?? '', hop.url);
  } catch {
    throw new TypeError('fetch failed: the redirect location is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError('fetch failed: redirect to a URL that is not http(s)');
  }
  // fetch cannot send userinfo, and its own error would quote the whole location: refused here, unquoted.
  if (url.username !== '' || url.password !== '') {
    throw new TypeError('fetch failed: redirect to a URL with credentials');
  }
  const headers = new Headers(hop.headers);
  let { method, body } = hop;
  const status = response.status;
  if (
    (status === 303 && method !== 'GET' && method !== 'HEAD') ||
    ((status === 301 || status === 302) && method === 'POST')
  ) {
    method = 'GET';
    body = null;
    for (const name of BODY_HEADERS) headers.delete(name);
  } else if (body === UNSENDABLE) {
    throw new TypeError(`fetch failed: a ${status} redirect would resend a streamed body`);
  }
  if (url.origin !== hop.url.origin) for (const name of CROSS_ORIGIN_DROPPED) headers.delete(name);
  return { url, method, headers, body };
}
