import { describe, expect, it } from 'vitest';
import { PendingKeyLimiter, PendingRefusal } from './pending-limiter.js';

const clock = { now: 0 };
const limiter = (o: ConstructorParameters<typeof PendingKeyLimiter>[0] = {}) =>
  new PendingKeyLimiter({ now: () => clock.now, ...o });

/** Offers `n` new ids from `address`, recording those allowed; returns how many were. */
function offer(l: PendingKeyLimiter, address: string, n: number, prefix = address): number {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    if (!l.allow(address).ok) continue;
    l.added(`${prefix}-${i}`, address);
    ok++;
  }
  return ok;
}

describe('PendingKeyLimiter', () => {
  it('lets one address make its burst of new ids at once, then one per rate interval', () => {
    const l = limiter({ burstPerAddress: 20, ratePerAddressPerMin: 60 });
    expect(offer(l, '10.0.0.1', 2000)).toBe(20);
    expect(l.allow('10.0.0.1')).toEqual({ ok: false, limit: PendingRefusal.rate });
    clock.now += 5_000;
    expect(offer(l, '10.0.0.1', 100, 'later')).toBe(5);
    expect(offer(l, '10.0.0.2', 1)).toBe(1);
  });

  it('caps pending keys per address and overall, and frees a slot when a key stops being pending', () => {
    const l = limiter({ maxPending: 5, maxPendingPerAddress: 3 });
    expect(offer(l, 'a', 10)).toBe(3);
    expect(l.allow('a')).toEqual({ ok: false, limit: PendingRefusal.addressCap });
    expect(offer(l, 'b', 10)).toBe(2);
    expect(l.allow('c')).toEqual({ ok: false, limit: PendingRefusal.cap });
    l.removed('a-0');
    expect(l.allow('a').ok).toBe(true);
  });

  it('counts keys loaded from disk against the overall cap only', () => {
    const l = limiter({ maxPending: 2, maxPendingPerAddress: 1 });
    l.added('old', '');
    expect(l.allow('a').ok).toBe(true);
    l.added('new', 'a');
    expect(l.allow('b')).toEqual({ ok: false, limit: PendingRefusal.cap });
  });

  it('reports what each limit refused and when', () => {
    clock.now = 1_700_000_000_000;
    const l = limiter({ maxPending: 1 });
    offer(l, 'a', 3);
    expect(l.report()).toEqual({
      pending: 1,
      maxPending: 1,
      maxPendingPerAddress: 100,
      refused: { max_pending_keys: 2, max_pending_keys_per_address: 0, pending_key_rate_per_min: 0 },
      lastRefusedAt: 1_700_000_000_000,
    });
  });
});
