import { describe, expect, it } from 'vitest';
import type { KeyStateValue } from './key-store.js';
import { keyAdmission } from './admit-key.js';

const PUB = new Uint8Array(32);

/** A key admission over a fake key store and token list, recording what it was asked. */
function admission(known: Record<string, KeyStateValue>, validToken: string) {
  const calls: string[] = [];
  const admit = keyAdmission({
    keys: {
      state: (id) => known[id],
      admit: (id, _pub, _grains, options) => {
        calls.push(`admit ${id} enrolled=${String(options?.enrolled)} from ${options?.address}`);
        return known[id] ?? (options?.enrolled ? 'accepted' : 'pending');
      },
    },
    enrollment: {
      consume: (token, id) => {
        calls.push(`consume ${id}`);
        return token === validToken;
      },
    },
    now: () => 0,
    enrolled: (id) => calls.push(`enrolled ${id}`),
  });
  return { admit, calls };
}

describe('keyAdmission', () => {
  it('accepts a new id that presents a valid token, spending the token', () => {
    const { admit, calls } = admission({}, 'tok');
    expect(admit({ id: 'web1', pub: PUB }, { grains: {}, enrollToken: 'tok' }, '10.0.0.1')).toBe('accepted');
    expect(calls).toEqual(['consume web1', 'enrolled web1', 'admit web1 enrolled=true from 10.0.0.1']);
  });

  it('spends no token on an id the master has seen', () => {
    const { admit, calls } = admission({ web1: 'rejected' }, 'tok');
    expect(admit({ id: 'web1', pub: PUB }, { grains: {}, enrollToken: 'tok' }, '10.0.0.1')).toBe('rejected');
    expect(calls).toEqual(['admit web1 enrolled=false from 10.0.0.1']);
  });

  it('leaves a new id pending when its token is not valid', () => {
    const { admit, calls } = admission({}, 'tok');
    expect(admit({ id: 'web1', pub: PUB }, { grains: {}, enrollToken: 'guess' }, '10.0.0.1')).toBe('pending');
    expect(calls).toEqual(['consume web1', 'admit web1 enrolled=false from 10.0.0.1']);
  });

  it('asks for no token when the minion presents none', () => {
    const { admit, calls } = admission({}, 'tok');
    expect(admit({ id: 'web1', pub: PUB }, { grains: {} }, '10.0.0.1')).toBe('pending');
    expect(calls).toEqual(['admit web1 enrolled=false from 10.0.0.1']);
  });
});
