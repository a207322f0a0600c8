import { describe, expect, it } from 'vitest';
import { rememberKnownMinions } from './known-minions.js';
import { MinionRegistry } from './registry.js';

describe('rememberKnownMinions', () => {
  it('remembers cached minions whose key is accepted and every other accepted key unseen', () => {
    const registry = new MinionRegistry(() => 0);
    rememberKnownMinions(
      registry,
      [
        { id: 'web1', grains: { os: 'Ubuntu' }, lastSeen: 5 },
        { id: 'gone', grains: { os: 'Debian' }, lastSeen: 7 },
      ],
      new Set(['web1', 'db1']),
    );
    const known = registry
      .list()
      .map((m) => [m.id, m.grains, m.lastSeen, m.connected])
      .sort();
    expect(known).toEqual([
      ['db1', {}, 0, false],
      ['web1', { os: 'Ubuntu' }, 5, false],
    ]);
  });
});
