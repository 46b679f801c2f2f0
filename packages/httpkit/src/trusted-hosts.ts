/** A compiled trusted-host list: says whether a URL is inside the trust boundary. */
export type HostMatcher = (url: URL) => boolean;

/**
 * Compiles entries like `orders`, `orders:8080`, `*.svc.cluster.local`, `[::1]` into a matcher.
 * Names compare case-insensitively; an entry without a port matches every port; `*.x` matches
 * subdomains of `x` but not `x` itself. An empty list trusts nothing.
 */
export function compileTrustedHosts(entries: readonly string[]): HostMatcher {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry.startsWith('*.')) suffixes.push(entry.slice(1));
    else exact.add(entry);
  }
  if (exact.size === 0 && suffixes.length === 0) return () => false;
  return (url) => {
    const host = url.hostname.toLowerCase();
    const port = url.port === '' ? defaultPort(url.protocol) : url.port;
    if (exact.has(host) || exact.has(`${host}:${port}`)) return true;
    for (const suffix of suffixes) {
      if (host.endsWith(suffix) && host.length > suffix.length) return true;
    }
    return false;
  };
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}
