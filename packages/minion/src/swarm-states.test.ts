import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SwarmStates } from './swarm-states.js';
import type { StateFunction } from './states/types.js';

const state = (name: string): StateFunction => ({
  name,
  doc: '',
  args: z.object({}),
  run: async () => ({ name, result: true, comment: '', changes: {} }),
});

describe('SwarmStates', () => {
  it('reads the shared states until the minion has its own, then only its own', () => {
    const shared = new Map([['file.managed', state('file.managed')]]);
    const view = new SwarmStates(shared);
    expect([...view.keys()]).toEqual(['file.managed']);
    expect(view.has('app.deployed')).toBe(false);
    view.own = new Map([...shared, ['app.deployed', state('app.deployed')]]);
    expect(view.get('app.deployed')?.name).toBe('app.deployed');
    expect(view.size).toBe(2);
    expect([...view].map(([k]) => k)).toEqual(['file.managed', 'app.deployed']);
    // The shared map is never written.
    expect(shared.size).toBe(1);
  });
});
