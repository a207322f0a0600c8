import { describe, expect, it } from 'vitest';
import type { KeyStateValue } from './key-store.js';
import { keyChangeEffects } from './key-change.js';

/** What one key change does, as a list of the calls it made. */
function effectsOf(from: KeyStateValue | undefined, to: KeyStateValue | undefined): string[] {
  const calls: string[] = [];
  keyChangeEffects({
    bus: { publish: (tag) => calls.push(`publish ${tag}`) },
    registry: { forget: (id, reason) => calls.push(`forget ${id} ${reason}`) },
    cache: { remove: (id) => calls.push(`uncache ${id}`) },
  })({ id: 'web1', from, to });
  return calls;
}

describe('keyChangeEffects', () => {
  it.each([
    ['pending', 'accepted', ['publish brine/key/web1/accepted']],
    [undefined, 'pending', ['publish brine/key/web1/pending']],
    ['accepted', 'rejected', ['publish brine/key/web1/rejected', 'forget web1 key_rejected']],
    ['accepted', 'denied', ['publish brine/key/web1/denied', 'forget web1 key_rejected']],
    ['accepted', undefined, ['publish brine/key/web1/deleted', 'forget web1 key_deleted', 'uncache web1']],
  ] as const)('turns %s -> %s into %j', (from, to, calls) => {
    expect(effectsOf(from, to)).toEqual(calls);
  });
});
