import { describe, expect, it } from 'vitest';
import { directVerifier } from './executor/job-verifier.js';
import { createMinionShared } from './minion-shared.js';

describe('createMinionShared', () => {
  it('gives a swarm a shared decoder and a remembering verifier', () => {
    const shared = createMinionShared('swarm');
    expect(shared.decode).toBeTypeOf('function');
    expect(shared.verifier).not.toBe(directVerifier);
  });

  it('gives a daemon no shared decoder and the direct verifier', () => {
    const shared = createMinionShared('daemon');
    expect(shared.decode).toBeUndefined();
    expect(shared.verifier).toBe(directVerifier);
  });

  it('makes one TLS context for all the minions of a process', () => {
    const shared = createMinionShared('swarm');
    expect(shared.tlsContext()).toBe(shared.tlsContext());
  });

  it('shares nothing between two processes', () => {
    const one = createMinionShared('swarm');
    const two = createMinionShared('swarm');
    expect(one.tlsContext()).not.toBe(two.tlsContext());
    expect(one.afterTurn).not.toBe(two.afterTurn);
    expect(one.targets).not.toBe(two.targets);
    expect(one.verifier).not.toBe(two.verifier);
  });
});
