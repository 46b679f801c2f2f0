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
 * `server.address`/`server.port` from the `Host` header.
 */
export function startAttributes(
  req: IncomingMessage & { originalUrl?: string },
  method: string,
  scheme: string,
): Attributes {
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_URL_PATH]: pathOf(req.originalUrl ?? req.url ?? '/'),
    [ATTR_URL_SCHEME]: scheme,
  };
  if (method === OTHER_METHOD) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = req.method;
  const host = req.headers.host;
  if (host !== undefined) {
    const colon = host.lastIndexOf(':');
    if (colon > host.lastIndexOf(']')) {
      attributes[ATTR_SERVER_ADDRESS] = host.slice(0, colon);
      const port = Number(host.slice(colon + 1));
      if (Number.isInteger(port)) attributes[ATTR_SERVER_PORT] = port;
    } else {
      attributes[ATTR_SERVER_ADDRESS] = host;
      const localPort = req.socket.localPort;
      if (localPort !== undefined) attributes[ATTR_SERVER_PORT] = localPort;
    }
  }
  return attributes;
}
