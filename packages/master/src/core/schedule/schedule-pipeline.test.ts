import { TestScheduler } from 'rxjs/testing';
import { of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { schedule$, type SchedulePipelineOptions } from './schedule-pipeline.js';
import type { ScheduleTiming } from './schedule-times.js';

function makeTs() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

const timing = (extra: Partial<ScheduleTiming>): ScheduleTiming => ({
  when: { everyMs: 10 },
  splayMs: 0,
  maxRunning: 1,
  enabled: true,
  ...extra,
});

function options(ts: TestScheduler, extra: Partial<SchedulePipelineOptions<string>>): SchedulePipelineOptions<string> {
  return {
    timing: timing({}),
    anchor: 0,
    from: 0,
    scheduler: ts,
    random: () => 0.5,
    run: () => of('ok'),
    ...extra,
  };
}

const ran = (at: number) => ({ kind: 'ran', at, result: 'ok' });

describe('schedule$', () => {
  it('fires an interval schedule on its grid and completes after `until`', () => {
    const ts = makeTs();
    ts.run(({ expectObservable }) => {
      const o = options(ts, { timing: timing({ until: 30 }) });
      expectObservable(schedule$(o)).toBe('10ms a 9ms b 9ms (c|)', { a: ran(10), b: ran(20), c: ran(30) });
    });
  });

  it('fires a cron schedule at the times its expression names', () => {
    const ts = makeTs();
    ts.run(({ expectObservable }) => {
      const when = { cron: '*/2 * * * * *', timezone: 'UTC' };
      const o = options(ts, { timing: timing({ when, until: 6000 }) });
      expectObservable(schedule$(o)).toBe('2s a 1999ms b 1999ms (c|)', { a: ran(2000), b: ran(4000), c: ran(6000) });
    });
  });

  it('continues an interval on the grid of its anchor after a restart', () => {
    const ts = makeTs();
    ts.run(({ expectObservable }) => {
      // Anchored at -3: the grid is 7, 17, 27.
      const o = options(ts, { anchor: -3, timing: timing({ until: 27 }) });
      expectObservable(schedule$(o)).toBe('7ms a 9ms b 9ms (c|)', { a: ran(7), b: ran(17), c: ran(27) });
    });
  });

  it('delays each run by its splay', () => {
    const ts = makeTs();
    ts.run(({ expectObservable }) => {
      const o = options(ts, { timing: timing({ splayMs: 4, until: 20 }) });
      // random() = 0.5: every fire runs 2 ms late.
      expectObservable(schedule$(o)).toBe('12ms a 9ms (b|)', { a: ran(10), b: ran(20) });
    });
  });

  it('skips a fire while max_running runs are still going', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const job = cold('---(r|)', { r: 'ok' });
      const o = options(ts, { timing: timing({ when: { everyMs: 2 }, until: 6 }), run: () => job });
      expectObservable(schedule$(o)).toBe('----ba---(c|)', {
        a: ran(2),
        b: { kind: 'skipped', at: 4, reason: 'max_running' },
        c: ran(6),
      });
      expectSubscriptions(job.subscriptions).toBe(['--^--!', '------^--!']);
    });
  });

  it('reports fires of a disabled schedule and fires outside the window as skipped', () => {
    const ts = makeTs();
    ts.run(({ expectObservable }) => {
      const off = options(ts, { timing: timing({ enabled: false, until: 10 }) });
      expectObservable(schedule$(off)).toBe('10ms (a|)', { a: { kind: 'skipped', at: 10, reason: 'disabled' } });
    });
    const ts2 = makeTs();
    ts2.run(({ expectObservable }) => {
      // The window is minute 1 to 2 of the day: a fire at 30 s is outside, one at 90 s inside.
      const o = options(ts2, {
        timing: timing({ when: { everyMs: 30_000 }, window: { startMin: 1, endMin: 2 }, until: 90_000 }),
      });
      expectObservable(schedule$(o)).toBe('30s a 29999ms b 29999ms (c|)', {
        a: { kind: 'skipped', at: 30_000, reason: 'outside_window' },
        b: ran(60_000),
        c: ran(90_000),
      });
    });
  });

  it('keeps one timer armed and nothing subscribed after unsubscribing', () => {
    const ts = makeTs();
    ts.run(({ expectObservable }) => {
      const o = options(ts, {});
      expectObservable(schedule$(o), '25ms !').toBe('10ms a 9ms b', { a: ran(10), b: ran(20) });
    });
    expect(ts.actions.length).toBe(0);
  });
});
