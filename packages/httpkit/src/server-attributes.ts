import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Attributes } from '@opentelemetry/api';
import { OTHER_METHOD } from './http-method.ts';
import { pathOf } from './request-path.ts';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from './semconv.ts';

/** `url.scheme` of a request: `https` on a TLS socket, else `http`. */
export function schemeOf(req: IncomingMessage): string {
  return (req.socket as TLSSocket).encrypted === true ? 'https' : 'http';
}

/**
 * The attributes a sampler may decide on, given at span start as the HTTP conventions ask:
 * method (`_OTHER` plus the original for an unknown one), `url.path`, `url.scheme`, and
 * `server.address`/`server.port` from the `Host` header, or from an absolute-form target's host.
 */
export function startAttributes(
  req: IncomingMessage & { originalUrl?: string },
  method: string,
  scheme: string,
): Attributes {
  const target = req.originalUrl ?? req.url ?? '/';
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_URL_PATH]: pathOf(target),
    [ATTR_URL_SCHEME]: scheme,
  };
  if (method === OTHER_METHOD) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = req.method;
  if (target.charCodeAt(0) !== 47 /* '/' */ && setFromAbsoluteTarget(attributes, target)) return attributes;
  const host = req.headers.host;
  if (host !== undefined) {
    const colon = host.lastIndexOf(':');
    if (colon > host.lastIndexOf(']')) {
      attributes[ATTR_SERVER_ADDRESS] = host.slice(0, colon);
      const port = Number(host.slice(colon + 1));
      if (Number.isInteger(port)) attributes[ATTR_SERVER_PORT] = port;
    } else {
      // A Host without a port means the scheme's default: the port the client called, which the
      // conventions want on both sides, not the socket's (a proxy or port mapping may sit between).
      attributes[ATTR_SERVER_ADDRESS] = host;
      attributes[ATTR_SERVER_PORT] = scheme === 'https' ? 443 : 80;
    }
  }
  return attributes;
}

// The conventions: an absolute-form target's host and port SHOULD be server.address and server.port.
// Only the host is taken (never its userinfo); a target that does not parse leaves them to `Host`.
function setFromAbsoluteTarget(attributes: Attributes, target: string): boolean {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return false;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return false;
  attributes[ATTR_SERVER_ADDRESS] = url.hostname;
  attributes[ATTR_SERVER_PORT] = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return true;
}
