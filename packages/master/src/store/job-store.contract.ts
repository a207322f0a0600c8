import { createJidGenerator, type JobSummary } from '@brine/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobRecord, JobStore, ResultWrite } from '../core/job-store.js';
import { JobStoreErrorCode } from './job-store-error.js';
import { describeListingContract } from './job-store-listing.contract.js';
import { describeResultsContract } from './job-store-results.contract.js';

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

    describeResultsContract(() => store);

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

      it('keeps one row for a minion listed twice, at its first position', () => {
        const job = jobAt(T0, { minions: ['web1', 'db1', 'web1'] });
        store.createJob(job);
        expect(store.lookupJob(job.jid)?.minions.map((m) => m.id)).toEqual(['web1', 'db1']);
        expect(store.lookupJob(job.jid)?.job.minions).toEqual(['web1', 'db1', 'web1']);
        expect(store.listJobs()[0]?.targeted).toBe(2);
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

    describe('published attempts', () => {
      it('keeps the highest attempt published for a job, and 0 for others', () => {
        const job = jobAt(T0);
        store.createJob(job);
        expect(store.publishedAttempt(job.jid)).toBe(0);
        store.notePublishedAttempt(job.jid, 2);
        store.notePublishedAttempt(job.jid, 1);
        expect(store.publishedAttempt(job.jid)).toBe(2);
        store.notePublishedAttempt('20990101000000000000', 3);
        expect(store.publishedAttempt('20990101000000000000')).toBe(0);
      });
    });

    describe('finishing', () => {
      it('keeps the first finish and ignores later ones and unknown jids', () => {
        const job = jobAt(T0);
        store.createJob(job);
        store.finishJob(job.jid, T0 + 40, summaryOf(job.jid));
        store.finishJob(job.jid, T0 + 99, { ...summaryOf(job.jid), success: false });
        const unknown = jobAt(T0 + 9).jid;
        store.finishJob(unknown, T0, summaryOf(unknown));
        expect(store.lookupJob(job.jid)?.job).toMatchObject({ endedAt: T0 + 40, summary: summaryOf(job.jid) });
        expect(store.lookupJob(unknown)).toBeUndefined();
        expect(store.unfinishedJobs()).toEqual([]);
      });

      it('lists unfinished jobs of any age, oldest first, as listings', () => {
        const ancient = jobAt(T0 - 365 * 86_400_000);
        const done = jobAt(T0);
        const running = jobAt(T0 + 1, { minions: ['a', 'b'] });
        for (const job of [running, done, ancient]) store.createJob(job);
        store.finishJob(done.jid, T0 + 40, summaryOf(done.jid));
        const { minions: _, ...rest } = running;
        expect(store.unfinishedJobs().map((j) => j.jid)).toEqual([ancient.jid, running.jid]);
        expect(store.unfinishedJobs()[1]).toStrictEqual({ ...rest, targeted: 2 });
        store.finishJob(ancient.jid, T0 + 2, summaryOf(ancient.jid));
        store.finishJob(running.jid, T0 + 2, summaryOf(running.jid));
        expect(store.unfinishedJobs()).toEqual([]);
      });
    });

    describeListingContract(() => store);
  });
}
