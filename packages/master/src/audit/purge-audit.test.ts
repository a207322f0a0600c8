import { afterEach, describe, expect, it, vi } from 'vitest';
import { purgeOldAudit } from './purge-audit.js';

const DAY = 86_400_000;

describe('purgeOldAudit', () => {
  afterEach(() => vi.useRealTimers());

  it('purges entries older than keepMs at once and then every hour, logging failures, until stopped', async () => {
    vi.useFakeTimers({ now: 100 * DAY });
    const cutoffs: number[] = [];
    const logged: unknown[] = [];
    const stop = purgeOldAudit({
      trail: {
        purgeBefore: (t) => {
          cutoffs.push(t);
          return cutoffs.length === 2
            ? Promise.reject(new Error('down'))
            : Promise.resolve(cutoffs.length === 3 ? 7 : 0);
        },
      },
      keepMs: 90 * DAY,
      now: () => Date.now(),
      log: { info: (o: unknown) => logged.push(o), warn: (o: unknown) => logged.push(o) } as never,
    });
    expect(cutoffs).toEqual([10 * DAY]);
    await vi.advanceTimersByTimeAsync(3_600_000);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(cutoffs).toEqual([10 * DAY, 10 * DAY + 3_600_000, 10 * DAY + 7_200_000]);
    expect(logged).toEqual([{ err: 'down' }, { removed: 7 }]);
    stop();
    await vi.advanceTimersByTimeAsync(3_600_000 * 3);
    expect(cutoffs).toHaveLength(3);
  });

  it('keeps every entry when keepMs is 0', () => {
    const calls: number[] = [];
    purgeOldAudit({
      trail: { purgeBefore: (t) => (calls.push(t), Promise.resolve(0)) },
      keepMs: 0,
      now: () => 1,
      log: { info: () => {}, warn: () => {} } as never,
    })();
    expect(calls).toEqual([]);
  });
});
