import { createJidGenerator, type JobSummary } from '@brine/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobRecord, JobStore, ResultWrite } from '../core/job-store.js';
import { JobStoreErrorCode } from './job-store-error.js';
import { describeListingContract } from './job-store-listing.contract.js';

/** Start of the test clock: 2025-01-01T00:00:00Z. */
export const T0 = Date.UTC(2025, 0, 1);

/** A job record for tests; its jid is derived from `startedAt`, as the master's are. */
export function jobAt(startedAt: number, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    jid: createJidGenerator()(startedAt),
    fun: 'test.ping',
    args: [],
    kwargs: {},
    target: '*',
    targetType: 'glob',
    user: 'alice',
    startedAt,
    minions: ['web2', 'db1', 'web1'],
    ...overrides,
  };
}

/** A `returned` result for tests. */
export function returned(jid: string, id: string, ret: unknown = true): ResultWrite {
  return { jid, id, outcome: 'returned', success: true, retcode: 0, ret, durationMs: 12.5 };
}

function summaryOf(jid: string): JobSummary {
  const counts = { targeted: 3, returned: 3, succeeded: 3, failed: 0, didNotReturn: 0 };
  return { jid, fun: 'test.ping', ...counts, success: true, durationMs: 40 };
}

/**
 * Registers the behaviour every {@link JobStore} owes (see its doc comment) against stores made by
 * `open`. Each test gets a fresh, empty store, closed afterwards.
 */
export function describeJobStoreContract(name: string, open: () => JobStore): void {
  describe(`${name}: JobStore contract`, () => {
    let store: JobStore;
    beforeEach(() => {
      store = open();
    });
    afterEach(() => store.close());

    describe('results', () => {
      it('stores a returned result once and reports the duplicate', () => {
        const job = jobAt(T0);
        store.createJob(job);
        expect(store.writeResults([returned(job.jid, 'db1', 'first')])).toEqual([true]);
        expect(store.writeResults([returned(job.jid, 'db1', 'second')])).toEqual([false]);
        expect(store.hasReturn(job.jid, 'db1')).toBe(true);
        expect(store.lookupJob(job.jid)?.minions[1]).toMatchObject({ id: 'db1', ret: 'first' });
      });

      it('reports a duplicate within one batch', () => {
        const job = jobAt(T0);
        store.createJob(job);
        const rows = [returned(job.jid, 'web1', 1), returned(job.jid, 'web2'), returned(job.jid, 'web1', 2)];
        expect(store.writeResults(rows)).toEqual([true, true, false]);
        expect(store.lookupJob(job.jid)?.minions[2]).toMatchObject({ id: 'web1', ret: 1 });
      });

      it.each(['no_ack', 'timed_out', 'offline'] as const)('lets a late return replace %s', (outcome) => {
        const job = jobAt(T0);
        store.createJob(job);
        const early: ResultWrite = { jid: job.jid, id: 'web1', outcome, success: false, reason: 'ack_timeout' };
        expect(store.writeResults([early])).toEqual([true]);
        expect(store.hasReturn(job.jid, 'web1')).toBe(false);
        expect(store.writeResults([returned(job.jid, 'web1', 'late')])).toEqual([true]);
        expect(store.lookupJob(job.jid)?.minions[2]).toStrictEqual({
          id: 'web1',
          outcome: 'returned',
          success: true,
          retcode: 0,
          ret: 'late',
          durationMs: 12.5,
        });
      });

      it('never lets a non-returned outcome replace a return', () => {
        const job = jobAt(T0);
        store.createJob(job);
        store.writeResults([returned(job.jid, 'web1')]);
        const late: ResultWrite = { jid: job.jid, id: 'web1', outcome: 'timed_out', success: false };
        expect(store.writeResults([late])).toEqual([false]);
        expect(store.lookupJob(job.jid)?.minions[2]?.outcome).toBe('returned');
      });

      it('lets a later non-returned outcome replace an earlier one', () => {
        const job = jobAt(T0);
        store.createJob(job);
        store.writeResults([{ jid: job.jid, id: 'db1', outcome: 'no_ack', success: false, reason: 'a' }]);
        const later: ResultWrite = { jid: job.jid, id: 'db1', outcome: 'interrupted', success: false, reason: 'b' };
        expect(store.writeResults([later])).toEqual([true]);
        expect(store.lookupJob(job.jid)?.minions[1]).toStrictEqual({
          id: 'db1',
          outcome: 'interrupted',
          success: false,
          reason: 'b',
        });
      });

      it('round-trips ret values and keeps absent fields absent', () => {
        const job = jobAt(T0);
        store.createJob(job);
        const ret = { nested: { list: [1, 'two', null], flag: false }, n: -3.25 };
        store.writeResults([
          { jid: job.jid, id: 'web2', outcome: 'returned', success: false, retcode: 2, ret, durationMs: 0.5 },
          { jid: job.jid, id: 'db1', outcome: 'returned', success: true, ret: null },
        ]);
        const [web2, db1] = store.lookupJob(job.jid)?.minions ?? [];
        expect(web2).toStrictEqual({
          id: 'web2',
          outcome: 'returned',
          success: false,
          retcode: 2,
          ret,
          durationMs: 0.5,
        });
        expect(db1).toStrictEqual({ id: 'db1', outcome: 'returned', success: true, ret: null });
      });

      it('stores a result for a job it does not know, and shows it once the job is recorded', () => {
        const job = jobAt(T0);
        expect(store.writeResults([returned(job.jid, 'web1')])).toEqual([true]);
        expect(store.hasReturn(job.jid, 'web1')).toBe(true);
        expect(store.lookupJob(job.jid)).toBeUndefined();
        store.createJob(job);
        const minions = store.lookupJob(job.jid)?.minions.map((m) => [m.id, m.outcome]);
        expect(minions).toEqual([
          ['web2', null],
          ['db1', null],
          ['web1', 'returned'],
        ]);
      });

      it('answers an empty batch with an empty array', () => {
        expect(store.writeResults([])).toEqual([]);
      });
    });

    describe('lookup', () => {
      it('lists every targeted minion in createJob order, pending ones with outcome null', () => {
        const job = jobAt(T0);
        store.createJob(job);
        store.writeResults([returned(job.jid, 'db1')]);
        expect(store.lookupJob(job.jid)).toStrictEqual({
          job,
          minions: [
            { id: 'web2', outcome: null, success: false },
            { id: 'db1', outcome: 'returned', success: true, retcode: 0, ret: true, durationMs: 12.5 },
            { id: 'web1', outcome: null, success: false },
          ],
        });
      });

      it('lists a result from a minion the job did not target after the targeted ones', () => {
        const job = jobAt(T0);
        store.createJob(job);
        store.writeResults([returned(job.jid, 'zz'), returned(job.jid, 'aa')]);
        expect(store.lookupJob(job.jid)?.minions.map((m) => m.id)).toEqual(['web2', 'db1', 'web1', 'aa', 'zz']);
      });

      it('answers undefined for an unknown jid', () => {
        expect(store.lookupJob('20250101000000000000')).toBeUndefined();
      });

      it('refuses a second job with the same jid', () => {
        store.createJob(jobAt(T0));
        expect(() => store.createJob(jobAt(T0))).toThrow(
          expect.objectContaining({ code: JobStoreErrorCode.jidExists }),
        );
      });

      it('round-trips a list target, args and kwargs, and shows the summary once finished', () => {
        const job = jobAt(T0, {
          fun: 'cmd.run',
          args: ['ls -l', 3],
          kwargs: { cwd: '/tmp', env: { A: '1' } },
          target: ['web1', 'db1'],
          targetType: 'list',
          minions: ['web1', 'db1'],
        });
        store.createJob(job);
        expect(store.lookupJob(job.jid)?.job).toStrictEqual(job);
        store.finishJob(job.jid, T0 + 40, summaryOf(job.jid));
        expect(store.lookupJob(job.jid)?.job).toStrictEqual({ ...job, endedAt: T0 + 40, summary: summaryOf(job.jid) });
      });

      it('returns copies the caller cannot use to change what is stored', () => {
        const job = jobAt(T0);
        store.createJob(job);
        job.minions.push('intruder');
        const first = store.lookupJob(job.jid)!;
        first.job.minions.length = 0;
        first.minions[0]!.outcome = 'returned';
        expect(store.lookupJob(job.jid)?.job.minions).toEqual(['web2', 'db1', 'web1']);
        expect(store.hasReturn(job.jid, 'web2')).toBe(false);
      });
    });

    describeListingContract(() => store);
  });
}
