import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { MinionSchedule, type MissedFires } from './minion-schedule.js';
import { minionScheduleConfigSchema, minionScheduleEntrySchema } from './schedule-config.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function setUp(ts: TestScheduler, config: unknown, hold = false) {
  dir ??= mkdtempSync(join(tmpdir(), 'brine-minion-schedule-'));
  const runs: { name: string; at: number }[] = [];
  const pending: (() => void)[] = [];
  const missed: MissedFires[] = [];
  const schedule = new MinionSchedule({
    config: minionScheduleConfigSchema.parse(config),
    file: join(dir, 'schedule.json'),
    scheduler: ts,
    random: () => 0.5,
    run: (name, _entry, onDone) => {
      runs.push({ name, at: ts.now() });
      if (hold) pending.push(onDone);
      else onDone();
    },
    missed: (report) => missed.push(report),
    log: pino({ level: 'silent' }),
  });
  return { schedule, runs, pending, missed };
}

describe('MinionSchedule', () => {
  it('runs each schedule on its interval, after its splay', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ flush }) => {
      const { schedule, runs } = setUp(ts, { tick: { function: 'test.ping', seconds: 1, splay: 2 } });
      schedule.start();
      ts.schedule(() => schedule.stop(), 4500);
      flush();
      // Fires at 1 s, 2 s, 3 s, 4 s; each waits half its 2 s splay; stopping drops the last one's wait.
      expect(runs.map((r) => r.at)).toEqual([2000, 3000, 4000]);
    });
  });

  it('skips a fire while max_running runs are going', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ flush }) => {
      const { schedule, runs, pending } = setUp(ts, { slow: { function: 'test.sleep', seconds: 1 } }, true);
      schedule.start();
      ts.schedule(() => pending.shift()?.(), 2500);
      ts.schedule(() => schedule.stop(), 3500);
      flush();
      // 1 s runs and holds its slot; 2 s is skipped; the slot frees at 2.5 s; 3 s runs.
      expect(runs.map((r) => r.at)).toEqual([1000, 3000]);
    });
  });

  it('runs a schedule on the matches of its cron expression, in UTC', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ flush }) => {
      // The test clock starts at the epoch (00:00:00 UTC): every 15 s, and every minute at :05.
      const { schedule, runs } = setUp(ts, {
        quarter: { function: 'test.ping', cron: '*/15 * * * * *' },
        minutely: { function: 'test.ping', cron: '5 * * * *' },
      });
      schedule.start();
      ts.schedule(() => schedule.stop(), 62_000);
      flush();
      expect(runs.filter((r) => r.name === 'quarter').map((r) => r.at)).toEqual([15_000, 30_000, 45_000, 60_000]);
      expect(runs.filter((r) => r.name === 'minutely')).toEqual([]);
      expect(schedule.list()['quarter']).toMatchObject({ cron: '*/15 * * * * *' });
      expect(schedule.list()['quarter']).not.toHaveProperty('seconds');
    });
  });

  it('fires an hourly cron expression at the hour, not an hour after start', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ flush }) => {
      const { schedule, runs } = setUp(ts, { hourly: { function: 'test.ping', cron: '0 * * * *' } });
      ts.schedule(() => schedule.start(), 20 * 60_000);
      ts.schedule(() => schedule.stop(), 3 * 3_600_000 + 1);
      flush();
      expect(runs.map((r) => r.at)).toEqual([3_600_000, 7_200_000, 10_800_000]);
    });
  });

  it('refuses an invalid cron expression, and cron with an interval, naming the field', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(() => {
      const { schedule } = setUp(ts, {});
      expect(() => schedule.add('bad', { function: 'test.ping', cron: '61 * * * *' })).toThrow(
        expect.objectContaining({
          code: 'ERR_SCHEDULE_INVALID',
          message: expect.stringMatching(/^cron: invalid cron/),
        }),
      );
      expect(() => schedule.add('both', { function: 'test.ping', cron: '* * * * *', seconds: 5 })).toThrow(
        expect.objectContaining({ code: 'ERR_SCHEDULE_INVALID', message: expect.stringContaining('not both') }),
      );
      expect(() => minionScheduleConfigSchema.parse({ x: { function: 'test.ping', cron: 'nope' } })).toThrow(/cron/);
    });
  });

  it('keeps schedules added and disabled at run time across a restart, and names what is wrong', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(() => {
      const a = setUp(ts, { cfg: { function: 'test.ping', minutes: 5 } });
      a.schedule.add('disk', { function: 'cmd.run', args: ['df -h'], minutes: 10 });
      a.schedule.setEnabled('cfg', false);
      expect(() => a.schedule.add('bad', { function: 'test.ping' })).toThrow(
        expect.objectContaining({ code: 'ERR_SCHEDULE_INVALID' }),
      );
      expect(() => a.schedule.delete('cfg')).toThrow(expect.objectContaining({ code: 'ERR_SCHEDULE_NAME' }));
      a.schedule.stop();
      const b = setUp(ts, { cfg: { function: 'test.ping', minutes: 5 } });
      expect(b.schedule.list()).toMatchObject({
        cfg: { enabled: false, source: 'config', seconds: 300 },
        disk: { function: 'cmd.run', args: ['df -h'], seconds: 600, source: 'runtime' },
      });
    });
  });

  it('arms what the pillar adds, leaves what it keeps alone and disarms what it removes', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ flush }) => {
      const { schedule, runs } = setUp(ts, { cfg: { function: 'test.ping', seconds: 7 } });
      const ping = minionScheduleEntrySchema.parse({ function: 'test.ping', seconds: 10 });
      schedule.start();
      ts.schedule(() => schedule.setPillar({ p: ping }), 1000);
      // The same pillar again (a refresh that changed nothing): p keeps its grid (11 s, 21 s, 31 s).
      ts.schedule(() => schedule.setPillar({ p: ping }), 15_000);
      ts.schedule(() => schedule.setPillar({}), 35_000);
      ts.schedule(() => schedule.stop(), 45_000);
      flush();
      expect(runs.filter((r) => r.name === 'p').map((r) => r.at)).toEqual([11_000, 21_000, 31_000]);
      expect(runs.filter((r) => r.name === 'cfg').map((r) => r.at)).toEqual([
        7000, 14_000, 21_000, 28_000, 35_000, 42_000,
      ]);
    });
  });

  it('re-arms a schedule the pillar changed on its grid, keeping its running count', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ flush }) => {
      const { schedule, runs, pending } = setUp(ts, {}, true);
      const every = (seconds: number) =>
        minionScheduleEntrySchema.parse({ function: 'test.sleep', kwargs: { seconds }, seconds });
      schedule.setPillar({ p: every(10) });
      // Changed at 15 s while the 10 s run still holds its max_running slot: 20 s is skipped.
      ts.schedule(() => schedule.setPillar({ p: every(4) }), 15_000);
      ts.schedule(() => pending.shift()?.(), 21_000);
      ts.schedule(() => schedule.stop(), 25_000);
      flush();
      // On the grid of the last fire (10 s): 14 s had passed, so 18 s (skipped: still running), then 22 s.
      expect(runs.map((r) => r.at)).toEqual([10_000, 22_000]);
      expect(schedule.list()['p']).toMatchObject({ source: 'pillar', seconds: 4, kwargs: { seconds: 4 } });
    });
  });

  it('never fires a cron slot twice when the pillar changes the schedule right after it fired', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ flush }) => {
      const { schedule, runs } = setUp(ts, {});
      const cron = (arg: string) =>
        minionScheduleEntrySchema.parse({ function: 'test.echo', args: [arg], cron: '*/10 * * * * *' });
      schedule.setPillar({ c: cron('a') });
      ts.schedule(() => schedule.setPillar({ c: cron('b') }), 10_000);
      ts.schedule(() => schedule.stop(), 25_000);
      flush();
      expect(runs.map((r) => r.at)).toEqual([10_000, 20_000]);
    });
  });

  it('refuses to delete a schedule from the pillar, which wins over one of the same name', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(() => {
      const { schedule } = setUp(ts, { same: { function: 'test.ping', minutes: 5 } });
      schedule.setPillar({ same: minionScheduleEntrySchema.parse({ function: 'test.echo', minutes: 1 }) });
      expect(schedule.list()['same']).toMatchObject({ function: 'test.echo', source: 'pillar', seconds: 60 });
      expect(() => schedule.delete('same')).toThrow(expect.objectContaining({ code: 'ERR_SCHEDULE_NAME' }));
      schedule.setPillar({});
      expect(schedule.list()['same']).toMatchObject({ function: 'test.ping', source: 'config' });
      schedule.stop();
    });
  });

  it('fires nothing while the whole schedule is disabled, across a restart, and resumes when enabled', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ flush }) => {
      const a = setUp(ts, { tick: { function: 'test.ping', seconds: 1 } });
      a.schedule.start();
      ts.schedule(() => a.schedule.setAllEnabled(false), 1500);
      ts.schedule(() => a.schedule.stop(), 3500);
      flush();
      expect(a.runs.map((r) => r.at)).toEqual([1000]);
      expect(a.schedule.list()['tick']).toMatchObject({ enabled: true, active: false });
      // A restart (at 3.5 s) keeps it off until it is enabled again (at 5.5 s).
      const b = setUp(ts, { tick: { function: 'test.ping', seconds: 1 } });
      b.schedule.start();
      ts.schedule(() => b.schedule.setAllEnabled(true), 2000);
      ts.schedule(() => b.schedule.stop(), 4200);
      flush();
      // On the grid of its last fire (1 s), which the file kept across the restart.
      expect(b.runs.map((r) => r.at)).toEqual([6000, 7000]);
      expect(b.schedule.list()['tick']).toMatchObject({ enabled: true, active: true });
    });
  });

  it('reports the cron slots missed while the minion was stopped, without running them late', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ flush }) => {
      const config = { minutely: { function: 'test.ping', cron: '* * * * *' } };
      const a = setUp(ts, config);
      a.schedule.start();
      // Runs at 1 and 2 min, then the minion stops until 10 min.
      ts.schedule(() => a.schedule.stop(), 150_000);
      let b: ReturnType<typeof setUp> | undefined;
      ts.schedule(() => {
        b = setUp(ts, config);
        b.schedule.start();
      }, 600_000);
      ts.schedule(() => b!.schedule.stop(), 700_000);
      flush();
      expect(a.runs.map((r) => r.at)).toEqual([60_000, 120_000]);
      expect(a.missed).toEqual([]);
      // 3 to 10 min were missed (10 min is now at the restart: passed, not run): reported once.
      expect(b!.missed).toEqual([{ name: 'minutely', count: 8, first: 180_000, last: 600_000, capped: false }]);
      expect(b!.runs.map((r) => r.at)).toEqual([660_000]);
    });
  });

  it('keeps an interval on its grid across a restart and reports the slots missed', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ flush }) => {
      const config = { tick: { function: 'test.ping', seconds: 10 } };
      const a = setUp(ts, config);
      a.schedule.start();
      ts.schedule(() => a.schedule.stop(), 25_000);
      let b: ReturnType<typeof setUp> | undefined;
      ts.schedule(() => {
        b = setUp(ts, config);
        b.schedule.start();
      }, 45_000);
      ts.schedule(() => b!.schedule.stop(), 61_000);
      flush();
      expect(a.runs.map((r) => r.at)).toEqual([10_000, 20_000]);
      expect(b!.missed).toEqual([{ name: 'tick', count: 2, first: 30_000, last: 40_000, capped: false }]);
      expect(b!.runs.map((r) => r.at)).toEqual([50_000, 60_000]);
    });
  });

  it('does not call a slot missed whose run the stop cut short, nor report a disabled schedule', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ flush }) => {
      const config = {
        slow: { function: 'test.sleep', cron: '* * * * *' },
        off: { function: 'test.ping', seconds: 5 },
      };
      const a = setUp(ts, config, true);
      a.schedule.start();
      ts.schedule(() => a.schedule.setEnabled('off', false), 7_000);
      // Stopped during the run of the 1 min slot, started again before the next slot.
      ts.schedule(() => a.schedule.stop(), 61_000);
      let b: ReturnType<typeof setUp> | undefined;
      ts.schedule(() => {
        b = setUp(ts, config);
        b.schedule.start();
      }, 90_000);
      ts.schedule(() => b!.schedule.stop(), 121_000);
      flush();
      expect(a.runs.map((r) => [r.name, r.at])).toEqual([
        ['off', 5_000],
        ['slow', 60_000],
      ]);
      expect(b!.missed).toEqual([]);
      expect(b!.runs.map((r) => [r.name, r.at])).toEqual([['slow', 120_000]]);
    });
  });

  it('runs a schedule now with run_job, and a disabled one only with force', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ flush }) => {
      const { schedule, runs, pending } = setUp(ts, { hourly: { function: 'test.ping', hours: 1 } }, true);
      schedule.start();
      ts.schedule(() => schedule.runJob('hourly', false), 1000);
      ts.schedule(() => schedule.stop(), 2000);
      flush();
      expect(runs.map((r) => r.at)).toEqual([1000]);
      expect(pending).toHaveLength(1);
      schedule.setEnabled('hourly', false);
      schedule.stop();
      expect(() => schedule.runJob('hourly', false)).toThrow(/Job hourly is disabled/);
      expect(() => schedule.runJob('nope', true)).toThrow(expect.objectContaining({ code: 'ERR_SCHEDULE_NAME' }));
      schedule.runJob('hourly', true);
      expect(runs).toHaveLength(2);
    });
  });

  it('runs a cron expression in the time zone given, and refuses an unknown zone', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ flush }) => {
      // 02:00 in Paris is 01:00 UTC in January 1970 (UTC+1).
      const { schedule, runs } = setUp(ts, {
        paris: { function: 'test.ping', cron: '0 2 * * *', timezone: 'Europe/Paris' },
        utc: { function: 'test.ping', cron: '0 2 * * *' },
      });
      schedule.start();
      ts.schedule(() => schedule.stop(), 3 * 3_600_000);
      flush();
      expect(runs).toEqual([
        { name: 'paris', at: 3_600_000 },
        { name: 'utc', at: 7_200_000 },
      ]);
      expect(schedule.list()['paris']).toMatchObject({ cron: '0 2 * * *', timezone: 'Europe/Paris' });
      expect(() => schedule.add('x', { function: 'test.ping', cron: '0 2 * * *', timezone: 'Nowhere/City' })).toThrow(
        expect.objectContaining({
          code: 'ERR_SCHEDULE_INVALID',
          message: expect.stringMatching(/^cron: invalid cron/),
        }),
      );
      expect(() => schedule.add('y', { function: 'test.ping', seconds: 5, timezone: 'Europe/Paris' })).toThrow(
        expect.objectContaining({ code: 'ERR_SCHEDULE_INVALID', message: expect.stringMatching(/^timezone: /) }),
      );
    });
  });
});
