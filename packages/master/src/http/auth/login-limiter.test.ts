import { describe, expect, it } from 'vitest';
import { ApiErrorCode } from '@brine/protocol';
import { LoginLimiter } from './login-limiter.js';
import type { TooManyRequestsError } from '../shared/errors.js';

function limiter(o: ConstructorParameters<typeof LoginLimiter>[0] = {}) {
  const clock = { now: 1_000_000 };
  const held: number[] = [];
  const l = new LoginLimiter({
    now: () => clock.now,
    sleep: async (ms) => void held.push(ms),
    ...o,
  });
  return { l, clock, held };
}

const ok = async () => 'account';
const bad = async (): Promise<string | undefined> => undefined;

/** The outcome of one attempt: 'ok', 'fail' or the 429's Retry-After in seconds. */
async function attempt(l: LoginLimiter, address: string, user: string, check = bad): Promise<string | number> {
  try {
    return (await l.attempt(address, user, check)) === undefined ? 'fail' : 'ok';
  } catch (err) {
    expect((err as TooManyRequestsError).code).toBe(ApiErrorCode.rateLimited);
    return (err as TooManyRequestsError).retryAfterS;
  }
}

describe('LoginLimiter', () => {
  it('allows an address its free failures, then doubles a wait that refuses without a password check', async () => {
    const { l, clock } = limiter({ freeFailuresPerAddress: 3, freeFailuresPerUser: 100, refusalDelayMs: 0 });
    for (let i = 0; i < 3; i++) expect(await attempt(l, 'a', `u${i}`)).toBe('fail');
    expect(await attempt(l, 'a', 'u3')).toBe('fail');
    let checked = false;
    expect(await attempt(l, 'a', 'u4', async () => ((checked = true), 'x'))).toBe(1);
    expect(checked).toBe(false);
    clock.now += 1000;
    expect(await attempt(l, 'a', 'u5')).toBe('fail');
    expect(await attempt(l, 'a', 'u6')).toBe(2);
    clock.now += 2000;
    expect(await attempt(l, 'a', 'u7')).toBe('fail');
    expect(await attempt(l, 'a', 'u8')).toBe(4);
    expect(await attempt(l, 'b', 'u8')).toBe('fail');
  });

  it('clears an address after a success, and forgets failures after the longest backoff', async () => {
    const { l, clock } = limiter({ freeFailuresPerAddress: 1, maxBackoffMs: 60_000, refusalDelayMs: 0 });
    expect(await attempt(l, 'a', 'u')).toBe('fail');
    expect(await attempt(l, 'a', 'u', ok)).toBe('ok');
    expect(await attempt(l, 'a', 'u')).toBe('fail');
    expect(await attempt(l, 'a', 'u')).toBe('fail');
    expect(await attempt(l, 'a', 'u')).toBe(1);
    clock.now += 60_001;
    expect(await attempt(l, 'a', 'u')).toBe('fail');
    expect(await attempt(l, 'a', 'u')).toBe('fail');
  });

  it('backs off a user guessed at from many addresses, except from an address it logged in from', async () => {
    const { l } = limiter({ freeFailuresPerUser: 4, refusalDelayMs: 0 });
    expect(await attempt(l, 'home', 'alice', ok)).toBe('ok');
    for (let i = 0; i < 5; i++) expect(await attempt(l, `x${i}`, 'alice')).toBe('fail');
    expect(await attempt(l, 'x9', 'alice', ok)).toBe(1);
    expect(await attempt(l, 'home', 'alice', ok)).toBe('ok');
    expect(await attempt(l, 'x9', 'bob', ok)).toBe('ok');
  });

  it('holds a refusal up to refusalDelayMs before answering, and tells the rest of the wait', async () => {
    const { l, held } = limiter({ freeFailuresPerAddress: 0, refusalDelayMs: 1000 });
    expect(await attempt(l, 'a', 'u')).toBe('fail');
    expect(await attempt(l, 'a', 'u')).toBe(1);
    expect(held).toEqual([1000]);
  });

  it('runs at most maxConcurrent checks, serves waiting addresses in turn, and caps each address', async () => {
    const { l } = limiter({ maxConcurrent: 1, maxPerAddress: 2, refusalDelayMs: 0 });
    const order: string[] = [];
    const gates: (() => void)[] = [];
    const check = (name: string) => () =>
      new Promise<string>((resolve) => {
        order.push(name);
        gates.push(() => resolve(name));
      });
    const first = l.attempt('flood', 'u', check('flood-1'));
    const second = l.attempt('flood', 'u', check('flood-2'));
    expect(await attempt(l, 'flood', 'u')).toBe(1);
    const user = l.attempt('user', 'alice', check('user-1'));
    await Promise.resolve();
    expect(order).toEqual(['flood-1']);
    gates.shift()!();
    await first;
    // flood's next login waited first, but user's turn comes before flood's second.
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['flood-1', 'user-1']);
    gates.shift()!();
    await user;
    await new Promise((r) => setImmediate(r));
    gates.shift()!();
    expect(await second).toBe('flood-2');
  });
});
