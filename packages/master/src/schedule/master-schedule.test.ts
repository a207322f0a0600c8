import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { type SchedulerLike, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { scheduleEntrySchema, type ScheduleEntryConfig } from '../config-automation.js';
import type { BusEvent } from '../core/event-bus.js';
import type { StartedJob } from '../core/job-manager.js';
import { MasterSchedule } from './master-schedule.js';

const HOUR = 3_600_000;
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A TestScheduler seen from `base` ms: a master started at some wall-clock time. */
function shifted(ts: TestScheduler, base: number): SchedulerLike {
  return { now: () => base + ts.now(), schedule: ts.schedule.bind(ts) as SchedulerLike['schedule'] };
}

function master(ts: TestScheduler, base: number, config: Record<string, ScheduleEntryConfig>) {
  dir ??= mkdtempSync(join(tmpdir(), 'brine-schedule-'));
  const events: BusEvent[] = [];
  const started: { name: string; at: number }[] = [];
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (logs.push(JSON.parse(String(c))), cb()) }));
  const scheduler = shifted(ts, base);
  let n = 0;
  const schedule = new MasterSchedule({
    config,
    file: join(dir, 'schedule.json'),
    scheduler,
    random: () => 0,
    start: (name) => {
      started.push({ name, at: scheduler.now() });
      const jid = String(++n).padStart(20, '0');
      const job: StartedJob = { jid, minions: ['web1'], events$: of({ type: 'done', summary: {} as never }) };
      return { ok: true, job };
    },
    bus: { publish: (tag, data) => events.push({ tag, data, stamp: scheduler.now() }) },
    log,
  });
  return { schedule, events, started, logs };
}

const hourly = scheduleEntrySchema.parse({ function: 'test.ping', target: 'web1', hours: 1 });

describe('MasterSchedule', () => {
  it('reports the fires missed while the master was down and runs none of them late or twice', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    const t0 = Date.UTC(2026, 0, 1, 0, 0);
    ts.run(({ flush }) => {
      const first = master(ts, t0, { hourly });
      first.schedule.start();
      ts.schedule(() => first.schedule.stop(), 1.5 * HOUR);
      flush();
      expect(first.started.map((s) => s.at)).toEqual([t0 + HOUR]);
    });
    const ts2 = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts2.run(({ flush }) => {
      // Back at 4:30: the fires at 2:00, 3:00 and 4:00 were missed; the next is 5:00, on the same grid.
      const second = master(ts2, t0 + 4.5 * HOUR, { hourly });
      second.schedule.start();
      ts2.schedule(() => second.schedule.stop(), HOUR);
      flush();
      expect(second.events.filter((e) => e.tag === 'brine/master/schedule/hourly/missed').map((e) => e.data)).toEqual([
        { name: 'hourly', count: 3, first: t0 + 2 * HOUR, last: t0 + 4 * HOUR, capped: false },
      ]);
      expect(second.logs.some((l) => String(l['msg']).startsWith('schedule fires missed'))).toBe(true);
      expect(second.started.map((s) => s.at)).toEqual([t0 + 5 * HOUR]);
    });
  });

  it('keeps schedules added, disabled and deleted at run time across a restart', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(() => {
      const a = master(ts, 0, { hourly });
      a.schedule.start();
      a.schedule.add('often', { function: 'test.echo', args: ['hi'], cron: '*/5 * * * *', timezone: 'UTC' });
      a.schedule.add('gone', { function: 'test.ping', minutes: 1 });
      a.schedule.setEnabled('hourly', false);
      a.schedule.delete('gone');
      a.schedule.stop();
      const b = master(ts, 0, { hourly });
      const list = b.schedule.list();
      expect(Object.keys(list)).toEqual(['hourly', 'often']);
      expect(list['hourly']).toMatchObject({ enabled: false, source: 'config' });
      expect(list['often']).toMatchObject({ function: 'test.echo', cron: '*/5 * * * *', source: 'runtime' });
    });
  });

  it('refuses an invalid cron expression, a duplicate name and deleting a config schedule, with codes', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(() => {
      const { schedule } = master(ts, 0, { hourly });
      expect(() => schedule.add('bad', { function: 'test.ping', cron: '61 * * * *' })).toThrow(
        expect.objectContaining({
          code: 'ERR_SCHEDULE_INVALID',
          message: expect.stringMatching(/^cron: invalid cron/),
        }),
      );
      expect(() => schedule.add('hourly', { function: 'test.ping', hours: 2 })).toThrow(
        expect.objectContaining({ code: 'ERR_SCHEDULE_NAME' }),
      );
      expect(() => schedule.delete('hourly')).toThrow(expect.objectContaining({ code: 'ERR_SCHEDULE_NAME' }));
    });
  });

  it('runs a job now with run_job, outside its timing', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(() => {
      const m = master(ts, 0, { hourly });
      expect(m.schedule.runJob('hourly')).toMatchObject({ ok: true });
      expect(m.started).toEqual([{ name: 'hourly', at: 0 }]);
    });
  });
});
