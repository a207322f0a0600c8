import { afterEach, describe, expect, it, vi } from 'vitest';
import { idleCollector } from './idle-gc.js';

afterEach(() => vi.useRealTimers());

// A collection is observed as the heap shrinking by the garbage made before it.
describe('idleCollector', () => {
  it('collects once after a large job, when no job has run for idleMs, and frees the garbage', async () => {
    let busy = true;
    const c = idleCollector({ idleMs: 50, minMinions: 1000, busy: () => busy });
    // Garbage that survives young-generation collections: promoted, then dropped.
    let junk: unknown[] | undefined = Array.from({ length: 300_000 }, (_, i) => ({ i, s: `x${i}` }));
    await new Promise((r) => setTimeout(r, 10));
    junk = undefined;
    void junk;
    const before = process.memoryUsage().heapUsed;
    c.jobEnded(5000);
    await new Promise((r) => setTimeout(r, 120));
    // Still busy: postponed, nothing collected on our account.
    busy = false;
    await new Promise((r) => setTimeout(r, 150));
    const after = process.memoryUsage().heapUsed;
    expect(before - after).toBeGreaterThan(10 * 1024 * 1024);
    c.stop();
  });

  it('small jobs never trigger it, and idleMs 0 turns it off', () => {
    vi.useFakeTimers();
    const busy = vi.fn(() => false);
    const small = idleCollector({ idleMs: 50, minMinions: 1000, busy });
    small.jobEnded(10);
    vi.advanceTimersByTime(1000);
    expect(busy).not.toHaveBeenCalled();
    const off = idleCollector({ idleMs: 0, minMinions: 1000, busy });
    off.jobEnded(5000);
    vi.advanceTimersByTime(1000);
    expect(busy).not.toHaveBeenCalled();
  });

  it('a job that ends meanwhile postpones the collection', () => {
    vi.useFakeTimers();
    const busy = vi.fn(() => false);
    const c = idleCollector({ idleMs: 100, minMinions: 1000, busy });
    c.jobEnded(5000);
    vi.advanceTimersByTime(80);
    c.jobEnded(5);
    vi.advanceTimersByTime(80);
    expect(busy).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30);
    expect(busy).toHaveBeenCalledTimes(1);
  });
});
