import { beforeEach, describe, expect, it } from 'vitest';
import type { JobStore } from '../core/job-store.js';
import { T0, jobAt, returned } from './job-store.contract.js';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './list-query.js';

const MINUTE = 60_000;

/**
 * Registers the `listJobs` and `purgeBefore` part of the JobStore contract; `store` answers the
 * fresh store of the current test.
 */
export function describeListingContract(store: () => JobStore): void {
  describe('listing', () => {
    // Five jobs one minute apart; the two newest are still running.
    beforeEach(() => {
      const spec = [
        { fun: 'test.ping', user: 'alice', target: '*' },
        { fun: 'cmd.run', user: 'bob', target: 'web*' },
        { fun: 'cmd.run_all', user: 'alice', target: ['web1', 'db1'] },
        { fun: 'test.version', user: 'bob', target: '*' },
        { fun: 'cmd.script', user: 'alice', target: 'web*' },
      ];
      spec.forEach((s, i) => {
        const job = jobAt(T0 + i * MINUTE, s);
        store().createJob(job);
        if (i < 3) store().finishJob(job.jid, T0 + i * MINUTE + 1000, { ...summary(job.jid), fun: s.fun });
      });
    });
    const funs = (filter: Parameters<JobStore['listJobs']>[0]) =>
      store()
        .listJobs(filter)
        .map((j) => j.fun);

    it('lists newest first without a filter', () => {
      expect(funs(undefined)).toEqual(['cmd.script', 'test.version', 'cmd.run_all', 'cmd.run', 'test.ping']);
    });

    it('filters the function by glob', () => {
      expect(funs({ fun: 'cmd.*' })).toEqual(['cmd.script', 'cmd.run_all', 'cmd.run']);
      expect(funs({ fun: 'cmd.ru?' })).toEqual(['cmd.run']);
      expect(funs({ fun: '[!c]*' })).toEqual(['test.version', 'test.ping']);
      expect(funs({ fun: '[^c]*' })).toEqual(['cmd.script', 'cmd.run_all', 'cmd.run']);
      expect(funs({ fun: '[]c]md.run' })).toEqual(['cmd.run']);
      expect(funs({ fun: '[b-d]*.run*' })).toEqual(['cmd.run_all', 'cmd.run']);
      expect(funs({ fun: 'test.ping' })).toEqual(['test.ping']);
    });

    it('filters by exact target text, a list as its comma-joined ids', () => {
      expect(funs({ target: 'web*' })).toEqual(['cmd.script', 'cmd.run']);
      expect(funs({ target: 'web1,db1' })).toEqual(['cmd.run_all']);
      expect(funs({ target: 'web' })).toEqual([]);
    });

    it('filters by user, time range and activity, combined', () => {
      expect(funs({ user: 'bob' })).toEqual(['test.version', 'cmd.run']);
      expect(funs({ since: T0 + MINUTE, until: T0 + 3 * MINUTE })).toEqual(['cmd.run_all', 'cmd.run']);
      expect(funs({ active: true })).toEqual(['cmd.script', 'test.version']);
      expect(funs({ active: false })).toHaveLength(5);
      expect(funs({ user: 'alice', active: true, fun: 'cmd.*' })).toEqual(['cmd.script']);
    });

    it('pages with limit and offset', () => {
      expect(funs({ limit: 2 })).toEqual(['cmd.script', 'test.version']);
      expect(funs({ limit: 2, offset: 2 })).toEqual(['cmd.run_all', 'cmd.run']);
      expect(funs({ offset: 4 })).toEqual(['test.ping']);
      expect(funs({ limit: 0 })).toEqual([]);
    });

    it('returns listings with end, summary and targeted count, without minion lists', () => {
      const [newest, , third] = store().listJobs();
      expect(newest).not.toHaveProperty('endedAt');
      expect(newest).not.toHaveProperty('minions');
      expect(newest?.targeted).toBe(3);
      expect(third).toMatchObject({ target: ['web1', 'db1'], endedAt: T0 + 2 * MINUTE + 1000, targeted: 3 });
      expect(third?.summary?.fun).toBe('cmd.run_all');
    });
  });

  describe('limits and purge', () => {
    it(`defaults to ${DEFAULT_LIST_LIMIT} jobs and caps at ${MAX_LIST_LIMIT}`, () => {
      for (let i = 0; i < MAX_LIST_LIMIT + 5; i++) store().createJob(jobAt(T0 + i, { minions: [] }));
      expect(store().listJobs()).toHaveLength(DEFAULT_LIST_LIMIT);
      expect(store().listJobs({ limit: 5000 })).toHaveLength(MAX_LIST_LIMIT);
      expect(store().listJobs({ limit: 3 })[0]?.startedAt).toBe(T0 + MAX_LIST_LIMIT + 4);
    });

    it('purges jobs that started before the cut, with their rows, and keeps the rest', () => {
      const old = jobAt(T0);
      const young = jobAt(T0 + MINUTE);
      store().createJob(old);
      store().createJob(young);
      store().writeResults([returned(old.jid, 'web1'), returned(young.jid, 'web1')]);
      expect(store().purgeBefore(T0 + MINUTE)).toBe(1);
      expect(store().lookupJob(old.jid)).toBeUndefined();
      expect(store().hasReturn(old.jid, 'web1')).toBe(false);
      expect(store().hasReturn(young.jid, 'web1')).toBe(true);
      expect(store().writeResults([returned(old.jid, 'web2')])).toEqual([false]);
      expect(
        store()
          .listJobs()
          .map((j) => j.jid),
      ).toEqual([young.jid]);
      expect(store().purgeBefore(T0 + MINUTE)).toBe(0);
    });
  });
}

function summary(jid: string) {
  return {
    jid,
    fun: '',
    targeted: 3,
    returned: 3,
    succeeded: 3,
    failed: 0,
    didNotReturn: 0,
    success: true,
    durationMs: 1,
  };
}
