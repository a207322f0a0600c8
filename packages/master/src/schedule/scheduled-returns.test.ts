import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJidGenerator, type Frame } from '@brine/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus, type BusEvent } from '../core/event-bus.js';
import { openMemoryJobStore } from '../store/memory-job-store.js';
import { ScheduledReturns } from './scheduled-returns.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const MINION_JID = '20261207030000000001';
const ret = (extra: Partial<Frame<'job.return'>> = {}): Frame<'job.return'> => ({
  v: 1,
  type: 'job.return',
  jid: MINION_JID,
  attempt: 0,
  fun: 'test.ping',
  outcome: 'returned',
  ret: true,
  retcode: 0,
  success: true,
  startedAt: 1000,
  endedAt: 1010,
  schedule: 'pinger',
  ...extra,
});

function setUp(store = openMemoryJobStore()) {
  dir ??= mkdtempSync(join(tmpdir(), 'brine-sched-ret-'));
  const bus = new EventBus(() => 0);
  const events: BusEvent[] = [];
  bus.events$(['brine/job/*/ret/*']).subscribe((e) => events.push(e));
  const gen = createJidGenerator();
  let t = Date.UTC(2026, 11, 7);
  const returns = new ScheduledReturns({
    store,
    bus,
    newJid: () => gen(++t),
    now: () => t,
    file: join(dir, 'minion-schedule.jsonl'),
    keepMs: 86_400_000,
  });
  return { returns, store, events };
}

describe('ScheduledReturns', () => {
  it('records a minion-made run as a job of its own under a master jid, once however often it is sent', () => {
    const { returns, store, events } = setUp();
    const jid = returns.accept('web1', ret());
    expect(jid).not.toBe(MINION_JID);
    expect(returns.accept('web1', ret())).toBe(jid);
    const found = store.lookupJob(jid)!;
    expect(found.job).toMatchObject({ fun: 'test.ping', user: 'minion:web1', target: ['web1'], minions: ['web1'] });
    expect(found.minions).toMatchObject([{ id: 'web1', outcome: 'returned', ret: true }]);
    expect(events.map((e) => e.tag)).toEqual([`brine/job/${jid}/ret/web1`]);
    expect(events[0]!.data).toMatchObject({ schedule: 'pinger', fun: 'test.ping' });
  });

  it('keeps two minions that made the same jid apart, and never touches a job the master made', () => {
    const { returns, store } = setUp();
    store.createJob({
      jid: MINION_JID,
      fun: 'cmd.run',
      args: [],
      kwargs: {},
      target: 'web*',
      targetType: 'glob',
      user: 'alice',
      startedAt: 0,
      minions: ['web1'],
    });
    const a = returns.accept('web1', ret());
    const b = returns.accept('web2', ret());
    expect(new Set([a, b, MINION_JID]).size).toBe(3);
    expect(store.lookupJob(MINION_JID)!.minions).toMatchObject([{ id: 'web1', outcome: null }]);
  });

  it('gives a resent return the same job after a master restart', () => {
    const store = openMemoryJobStore();
    const first = setUp(store).returns.accept('web1', ret());
    expect(setUp(store).returns.accept('web1', ret())).toBe(first);
  });
});
