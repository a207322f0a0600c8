import { describe, expect, it } from 'vitest';
import { cronProblem, firesBetween, nextFire, skipReason } from './schedule-times.js';

const HOUR = 3_600_000;

describe('schedule times', () => {
  it('accepts cron expressions croner parses and names the problem of others', () => {
    expect(cronProblem('0 * * * *')).toBeUndefined();
    expect(cronProblem('*/5 * * * * *')).toBeUndefined();
    expect(cronProblem('61 * * * *')).toMatch(/minute/);
    expect(cronProblem('* * *')).toMatch(/five, six/);
    expect(cronProblem('0 2 * * *', 'Europe/Paris')).toBeUndefined();
    expect(cronProblem('0 2 * * *', 'Nowhere/City')).toMatch(/timezone/);
  });

  it('lists the hourly fires missed while the master was down', () => {
    const when = { cron: '0 * * * *', timezone: 'UTC' };
    const last = Date.UTC(2026, 0, 1, 10, 0);
    expect(firesBetween(when, last, last + 3 * HOUR + 60_000, 0)).toEqual([
      last + HOUR,
      last + 2 * HOUR,
      last + 3 * HOUR,
    ]);
    expect(firesBetween(when, last, last + HOUR, 0)).toEqual([]);
  });

  it('counts interval fires from the anchor', () => {
    expect(nextFire({ everyMs: 10 }, 0, 0)).toBe(10);
    expect(nextFire({ everyMs: 10 }, 10, 0)).toBe(20);
    expect(nextFire({ everyMs: 10 }, 13, 5)).toBe(15);
    expect(nextFire({ everyMs: 10 }, 2, 5)).toBe(15);
  });

  it('treats a window that spans midnight as two pieces', () => {
    const t = {
      when: { everyMs: 1 },
      splayMs: 0,
      maxRunning: 1,
      enabled: true,
      window: { startMin: 23 * 60, endMin: 60 },
    };
    expect(skipReason(t, Date.UTC(2026, 0, 1, 23, 30))).toBeUndefined();
    expect(skipReason(t, Date.UTC(2026, 0, 1, 0, 30))).toBeUndefined();
    expect(skipReason(t, Date.UTC(2026, 0, 1, 12, 0))).toBe('outside_window');
  });
});
