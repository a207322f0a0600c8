import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { MinionSchedule } from './minion-schedule.js';
import { minionScheduleConfigSchema } from './schedule-config.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function setUp(ts: TestScheduler, config: unknown, hold = false) {
  dir ??= mkdtempSync(join(tmpdir(), 'brine-minion-schedule-'));
  const runs: { name: string; at: number }[] = [];
  const pending: (() => void)[] = [];
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
    log: pino({ level: 'silent' }),
  });
  return { schedule, runs, pending };
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
});
