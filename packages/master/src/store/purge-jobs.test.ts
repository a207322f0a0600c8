import { afterEach, describe, expect, it, vi } from 'vitest';
import { purgeOldJobs } from './purge-jobs.js';

describe('purgeOldJobs', () => {
  afterEach(() => vi.useRealTimers());

  it('purges jobs older than keepMs at once and then every hour until stopped', () => {
    vi.useFakeTimers({ now: 10_000_000 });
    const cutoffs: number[] = [];
    const logged: unknown[] = [];
    const stop = purgeOldJobs({
      store: { purgeBefore: (t) => (cutoffs.push(t), cutoffs.length === 2 ? 3 : 0) },
      keepMs: 1_000_000,
      now: () => Date.now(),
      log: { info: (o: unknown) => logged.push(o) } as never,
    });
    expect(cutoffs).toEqual([9_000_000]);
    vi.advanceTimersByTime(3_600_000);
    expect(cutoffs).toEqual([9_000_000, 12_600_000]);
    expect(logged).toEqual([{ removed: 3 }]);
    stop();
    vi.advanceTimersByTime(3_600_000 * 3);
    expect(cutoffs).toHaveLength(2);
  });
});
