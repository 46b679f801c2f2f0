/** Turns text that may quote a setting into text safe to print. */
export type Redactor = (text: string) => string;

// scheme://authority/path?query#fragment up to whitespace or a quote
const URL_LIKE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"`<>]*/gi;
// Shorter pieces would blank out ordinary words all over a message.
const MIN_SECRET_LENGTH = 3;
const SECRET_SETTINGS = /^OTEL_EXPORTER_OTLP_(?:[A-Z]+_)?(?:ENDPOINT|HEADERS)$/;

/**
 * The values a message must never show: every `OTEL_EXPORTER_OTLP_*ENDPOINT` and `*HEADERS` value
 * as written, the userinfo, query and header values inside them, plus `extra` (headers set in code).
 */
export function settingSecrets(env: NodeJS.ProcessEnv, extra: Iterable<string> = []): string[] {
  const secrets = new Set<string>(extra);
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || !SECRET_SETTINGS.test(name)) continue;
    const value = raw.trim();
    secrets.add(value);
    if (name.endsWith('HEADERS')) {
      for (const entry of value.split(',')) {
        const eq = entry.indexOf('=');
        if (eq === -1) continue;
        const headerValue = entry.slice(eq + 1).trim();
        secrets.add(headerValue);
        secrets.add(safeDecode(headerValue));
      }
    } else {
      for (const piece of urlSecrets(value)) secrets.add(piece);
    }
  }
  return [...secrets].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** The userinfo (raw, decoded, base64) and query of a URL as written, parsable or not. */
export function urlSecrets(value: string): string[] {
  const pieces: string[] = [];
  const userinfo = /\/\/([^/?#]*)@/.exec(value)?.[1];
  if (userinfo !== undefined) {
    // As Basic credentials too: a server that echoes the Authorization header it was sent.
    pieces.push(userinfo, safeDecode(userinfo), Buffer.from(safeDecode(userinfo)).toString('base64'));
  }
  const query = value.indexOf('?');
  if (query !== -1) pieces.push(value.slice(query + 1));
  return pieces;
}

/**
 * A redactor that reduces every URL to scheme, host and path (no userinfo, query or fragment; one
 * that does not parse is hidden whole) and blanks each of `secrets`, longest first.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  return (text) => {
    let out = text;
    for (const secret of secrets) {
      if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    }
    return out.replace(URL_LIKE, safeUrl);
  };
}

/** A URL without userinfo, query or fragment, safe to print. */
export function safeUrl(value: string): string {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '<unparsable URL>';
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
