import { describe, expect, it } from 'vitest';
import { HookReplayGuard } from './hook-replay.js';

const clock = { now: 1_000_000 };
const guard = (maxRemembered = 100) => new HookReplayGuard({ maxAgeMs: 300_000, maxRemembered, now: () => clock.now });

describe('HookReplayGuard', () => {
  it('admits a signature once and refuses it again within the window', () => {
    const g = guard();
    expect(g.admit('deploy', 'sha256=aa', clock.now)).toBe('ok');
    expect(g.admit('deploy', 'sha256=AA', clock.now)).toBe('replayed');
    expect(g.admit('other', 'sha256=aa', clock.now)).toBe('ok');
  });

  it('refuses timestamps more than the window away, either way', () => {
    const g = guard();
    expect(g.admit('h', 's1', clock.now - 300_001)).toBe('stale');
    expect(g.admit('h', 's2', clock.now + 300_001)).toBe('stale');
    expect(g.admit('h', 's3', clock.now + 300_000)).toBe('ok');
  });

  it('remembers a signature as long as its timestamp can be fresh, then forgets it', () => {
    const g = guard();
    const signedAt = clock.now + 300_000;
    expect(g.admit('h', 'future', signedAt)).toBe('ok');
    clock.now += 599_000;
    expect(g.admit('h', 'future', signedAt)).toBe('replayed');
    clock.now += 2_000;
    expect(g.admit('h', 'other', clock.now)).toBe('ok');
    expect(g.size).toBe(1);
  });

  it('refuses new signatures when its memory is full rather than forget one early', () => {
    const g = guard(2);
    expect(g.admit('h', 'a', clock.now)).toBe('ok');
    expect(g.admit('h', 'b', clock.now)).toBe('ok');
    expect(g.admit('h', 'c', clock.now)).toBe('full');
    expect(g.admit('h', 'a', clock.now)).toBe('replayed');
  });
});
