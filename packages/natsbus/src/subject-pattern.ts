/**
 * Matches NATS subjects against wildcard patterns (`*` one token, `>` the rest), with a small cache
 * so the per-message check of a hot subject is one Map lookup.
 */
export class SubjectPatterns {
  readonly #patterns: string[][];
  readonly #cache = new Map<string, boolean>();

  constructor(patterns: readonly string[]) {
    this.#patterns = patterns.filter((p) => p.trim() !== '').map((p) => p.trim().split('.'));
  }

  /** True when `subject` matches one of the patterns. */
  matches(subject: string): boolean {
    if (this.#patterns.length === 0) return false;
    let hit = this.#cache.get(subject);
    if (hit === undefined) {
      hit = this.#patterns.some((pattern) => matchTokens(pattern, subject.split('.')));
      if (this.#cache.size >= 10_000) this.#cache.clear();
      this.#cache.set(subject, hit);
    }
    return hit;
  }
}

function matchTokens(pattern: string[], tokens: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const token = pattern[i];
    if (token === '>') return tokens.length > i;
    if (i >= tokens.length) return false;
    if (token !== '*' && token !== tokens[i]) return false;
  }
  return pattern.length === tokens.length;
}

/** The subject last found publishable: a hot subject is checked once, not per message. */
let lastPublishable: string | undefined;

/**
 * Why `subject` cannot be published to, or undefined when it can: NATS forbids wildcards (`*`, `>`
 * tokens) and empty tokens in a publish subject, and whitespace anywhere.
 */
export function unpublishableSubject(subject: unknown): string | undefined {
  if (subject === lastPublishable && subject !== undefined) return undefined;
  if (typeof subject !== 'string' || subject === '') return 'it is empty';
  if (/\s/.test(subject)) return 'it contains whitespace';
  for (const token of subject.split('.')) {
    if (token === '') return 'it has an empty token';
    if (token === '*' || token === '>') return 'wildcards cannot be published to';
  }
  lastPublishable = subject;
  return undefined;
}
