import { describe, expect, it } from 'vitest';
import { unpublishableSubject } from '../src/subject-pattern.ts';

// The last publishable subject is remembered so a hot subject is checked once; nothing else may
// pass on that account, not even before any subject was remembered.
describe('unpublishableSubject', () => {
  it('refuses what is not a subject before and after a good subject was remembered', () => {
    const refused = [undefined, null, '', 'a.*', 'a.>', 'a..b', ' a', 42];
    for (const subject of refused) expect(unpublishableSubject(subject)).toBeDefined();
    expect(unpublishableSubject('orders.created')).toBeUndefined();
    expect(unpublishableSubject('orders.created')).toBeUndefined();
    for (const subject of refused) expect(unpublishableSubject(subject)).toBeDefined();
    expect(unpublishableSubject('orders.created.*')).toBe('wildcards cannot be published to');
  });
});
