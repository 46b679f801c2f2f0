import type { NatsConnection } from '@nats-io/transport-node';

/** The NATS server a connection is on, as the messaging semconv records it. */
export interface ServerAddress {
  /** `host:port` as nats.js reports it (a cache key). */
  readonly key: string;
  readonly address: string;
  readonly port: number | undefined;
}

const parsed = new Map<string, ServerAddress>();

/** The server `nc` is connected to now (it changes on reconnect), parsed once per `host:port`. */
export function serverOf(nc: NatsConnection | undefined): ServerAddress | undefined {
  const key = nc?.getServer();
  if (!key) return undefined;
  let server = parsed.get(key);
  if (server === undefined) {
    const colon = key.lastIndexOf(':');
    const port = colon > 0 ? Number(key.slice(colon + 1)) : Number.NaN;
    const host = Number.isInteger(port) ? key.slice(0, colon) : key;
    server = {
      key,
      address: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host,
      port: Number.isInteger(port) ? port : undefined,
    };
    if (parsed.size >= 1000) parsed.clear();
    parsed.set(key, server);
  }
  return server;
}
