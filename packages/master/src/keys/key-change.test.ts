import { describe, expect, it } from 'vitest';
import type { KeyStateValue } from './key-store.js';
import { keyChangeEffects } from './key-change.js';

/** What one key change does, as a list of the calls it made. */
function effectsOf(from: KeyStateValue | undefined, to: KeyStateValue | undefined, known = false): string[] {
  const calls: string[] = [];
  keyChangeEffects({
    bus: { publish: (tag) => calls.push(`publish ${tag}`) },
    registry: {
      forget: (id, reason) => calls.push(`forget ${id} ${reason}`),
      remember: (id, grains, lastSeen) => calls.push(`remember ${id} ${JSON.stringify(grains)} ${lastSeen}`),
      get: (id) => (known ? { id, grains: { os: 'Debian' }, connected: false, lastSeen: 1 } : undefined),
    },
    cache: { remove: (id) => calls.push(`uncache ${id}`) },
  })({ id: 'web1', from, to });
  return calls;
}

describe('keyChangeEffects', () => {
  it.each([
    ['pending', 'accepted', ['publish brine/key/web1/accepted', 'remember web1 {} 0']],
    [undefined, 'pending', ['publish brine/key/web1/pending']],
    ['accepted', 'rejected', ['publish brine/key/web1/rejected', 'forget web1 key_rejected']],
    ['accepted', 'denied', ['publish brine/key/web1/denied', 'forget web1 key_rejected']],
    ['accepted', undefined, ['publish brine/key/web1/deleted', 'forget web1 key_deleted', 'uncache web1']],
  ] as const)('turns %s -> %s into %j', (from, to, calls) => {
    expect(effectsOf(from, to)).toEqual(calls);
  });

  it('keeps the grains of a minion it already knows when its key is accepted again', () => {
    expect(effectsOf('rejected', 'accepted', true)).toEqual(['publish brine/key/web1/accepted']);
  });
});
