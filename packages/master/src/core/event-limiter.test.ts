import { describe, expect, it } from 'vitest';
import { MinionEventLimiter } from './event-limiter.js';

describe('MinionEventLimiter', () => {
  it('allows a burst, then the steady rate, per minion', () => {
    const l = new MinionEventLimiter({ perSec: 2, burst: 3 });
    expect([1, 2, 3, 4].map(() => l.allow('a', 0).allow)).toEqual([true, true, true, false]);
    expect(l.allow('b', 0).allow).toBe(true);
    expect(l.allow('a', 499).allow).toBe(false);
    expect(l.allow('a', 500).allow).toBe(true);
  });

  it('reports the first drop at once and later drops at most once per period, with their count', () => {
    const l = new MinionEventLimiter({ perSec: 0.001, burst: 1 }, 1000);
    l.allow('a', 0);
    expect(l.allow('a', 1)).toEqual({ allow: false, report: 1 });
    expect(l.allow('a', 2)).toEqual({ allow: false });
    expect(l.allow('a', 3)).toEqual({ allow: false });
    expect(l.allow('a', 1001)).toEqual({ allow: false, report: 3 });
  });
});
