import { describe, expect, it } from 'vitest';
import type { KeyStateValue } from './key-store.js';
import { keyAdmission } from './admit-key.js';

const PUB = new Uint8Array(32);

/** A key admission over a fake key store and token list, recording what it was asked. */
function admission(known: Record<string, KeyStateValue>, validToken: string, writing?: Promise<void>) {
  const calls: string[] = [];
  const admit = keyAdmission({
    keys: {
      state: (id) => known[id],
      stored: () => writing,
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

  it('answers an accepted key whose record is being written once it is stored, and limited if it fails', async () => {
    let done!: () => void;
    const { admit } = admission({ web1: 'accepted' }, 'tok', new Promise<void>((r) => (done = r)));
    const answer = admit({ id: 'web1', pub: PUB }, { grains: {} }, '10.0.0.1');
    expect(answer).toBeInstanceOf(Promise);
    done();
    await expect(answer).resolves.toBe('accepted');
    const failed = admission({ web1: 'accepted' }, 'tok', Promise.reject(new Error('ENOSPC')));
    await expect(failed.admit({ id: 'web1', pub: PUB }, { grains: {} }, '10.0.0.1')).resolves.toBe('limited');
  });

  it('answers a pending key at once, even while its record is being written', () => {
    const { admit } = admission({}, 'tok', new Promise<void>(() => {}));
    expect(admit({ id: 'web1', pub: PUB }, { grains: {} }, '10.0.0.1')).toBe('pending');
  });
});
