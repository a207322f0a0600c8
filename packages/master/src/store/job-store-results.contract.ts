import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { storeResults$, type JobStore, type ResultWrite } from '../core/job-store.js';
import { T0, jobAt, returned } from './job-store.contract.js';

/** A non-returned outcome for tests. */
function failed(jid: string, id: string, outcome: ResultWrite['outcome'], attempt = 0): ResultWrite {
  return { jid, id, outcome, success: false, reason: `r${attempt}`, attempt };
}

/**
 * Registers the `writeResults` part of the JobStore contract; `store` answers the fresh store of
 * the current test.
 */
export function describeResultsContract(store: () => JobStore): void {
  describe('results', () => {
    it('stores a returned result once and reports the duplicate', () => {
      const job = jobAt(T0);
      store().createJob(job);
      expect(store().writeResults([returned(job.jid, 'db1', 'first')])).toEqual([true]);
      expect(store().writeResults([returned(job.jid, 'db1', 'second')])).toEqual([false]);
      expect(store().hasReturn(job.jid, 'db1')).toBe(true);
      expect(store().lookupJob(job.jid)?.minions[1]).toMatchObject({ id: 'db1', ret: 'first' });
    });

    it('reports a duplicate within one batch', () => {
      const job = jobAt(T0);
      store().createJob(job);
      const rows = [returned(job.jid, 'web1', 1), returned(job.jid, 'web2'), returned(job.jid, 'web1', 2)];
      expect(store().writeResults(rows)).toEqual([true, true, false]);
      expect(store().lookupJob(job.jid)?.minions[2]).toMatchObject({ id: 'web1', ret: 1 });
    });

    it.each(['no_ack', 'timed_out', 'offline'] as const)('lets a late return replace %s', (outcome) => {
      const job = jobAt(T0);
      store().createJob(job);
      expect(store().writeResults([failed(job.jid, 'web1', outcome, 1)])).toEqual([true]);
      expect(store().hasReturn(job.jid, 'web1')).toBe(false);
      // From the first attempt, yet real data: it replaces the second attempt's timeout.
      expect(store().writeResults([returned(job.jid, 'web1', 'late')])).toEqual([true]);
      expect(store().lookupJob(job.jid)?.minions[2]).toStrictEqual({
        id: 'web1',
        outcome: 'returned',
        success: true,
        retcode: 0,
        ret: 'late',
        durationMs: 12.5,
      });
    });

    it('never lets a non-returned outcome replace a return, whatever its attempt', () => {
      const job = jobAt(T0);
      store().createJob(job);
      store().writeResults([returned(job.jid, 'web1')]);
      expect(
        store().writeResults([failed(job.jid, 'web1', 'timed_out'), failed(job.jid, 'web1', 'no_ack', 3)]),
      ).toEqual([false, false]);
      expect(store().lookupJob(job.jid)?.minions[2]?.outcome).toBe('returned');
    });

    it('lets a later non-returned outcome replace an earlier one', () => {
      const job = jobAt(T0);
      store().createJob(job);
      store().writeResults([failed(job.jid, 'db1', 'no_ack')]);
      expect(store().writeResults([failed(job.jid, 'db1', 'interrupted', 2)])).toEqual([true]);
      expect(store().lookupJob(job.jid)?.minions[1]).toStrictEqual({
        id: 'db1',
        outcome: 'interrupted',
        success: false,
        reason: 'r2',
        attempt: 2,
      });
    });

    it('lets a return from a later attempt replace a return, and refuses one from the same or an earlier', () => {
      const job = jobAt(T0);
      store().createJob(job);
      const failedRun: ResultWrite = { ...returned(job.jid, 'db1', 'boom'), success: false, retcode: 1 };
      expect(store().writeResults([failedRun])).toEqual([true]);
      const retry = { ...returned(job.jid, 'db1', 'ok'), attempt: 2 };
      expect(store().writeResults([retry, { ...retry, ret: 'again' }])).toEqual([true, false]);
      expect(store().writeResults([{ ...returned(job.jid, 'db1', 'stale'), attempt: 1 }])).toEqual([false]);
      expect(store().writeResults([failedRun])).toEqual([false]);
      expect(store().lookupJob(job.jid)?.minions[1]).toStrictEqual({
        id: 'db1',
        outcome: 'returned',
        success: true,
        retcode: 0,
        ret: 'ok',
        durationMs: 12.5,
        attempt: 2,
      });
    });

    it('refuses a result for a jid it has no job for, and stores nothing', () => {
      const job = jobAt(T0);
      expect(store().writeResults([returned(job.jid, 'web1'), failed(job.jid, 'db1', 'no_ack')])).toEqual([
        false,
        false,
      ]);
      expect(store().hasReturn(job.jid, 'web1')).toBe(false);
      expect(store().lookupJob(job.jid)).toBeUndefined();
      // Nothing written then shows up once a job with that jid is recorded.
      store().createJob(job);
      expect(
        store()
          .lookupJob(job.jid)
          ?.minions.map((m) => m.outcome),
      ).toEqual([null, null, null]);
    });

    it('refuses a result from a minion the job did not target, and stores nothing', () => {
      const job = jobAt(T0);
      const other = jobAt(T0 + 1, { minions: ['intruder'] });
      store().createJob(job);
      store().createJob(other);
      const rows = [returned(job.jid, 'intruder'), returned(job.jid, 'web1'), failed(job.jid, 'zz', 'no_ack')];
      expect(store().writeResults(rows)).toEqual([false, true, false]);
      expect(store().hasReturn(job.jid, 'intruder')).toBe(false);
      expect(
        store()
          .lookupJob(job.jid)
          ?.minions.map((m) => m.id),
      ).toEqual(['web2', 'db1', 'web1']);
      expect(store().listJobs({ limit: 1 })[0]?.targeted).toBe(1);
    });

    it('round-trips ret values and keeps absent fields absent', () => {
      const job = jobAt(T0);
      store().createJob(job);
      const ret = { nested: { list: [1, 'two', null], flag: false }, n: -3.25 };
      store().writeResults([
        { jid: job.jid, id: 'web2', outcome: 'returned', success: false, retcode: 2, ret, durationMs: 0.5 },
        { jid: job.jid, id: 'db1', outcome: 'returned', success: true, ret: null },
      ]);
      const [web2, db1] = store().lookupJob(job.jid)?.minions ?? [];
      expect(web2).toStrictEqual({ id: 'web2', outcome: 'returned', success: false, retcode: 2, ret, durationMs: 0.5 });
      expect(db1).toStrictEqual({ id: 'db1', outcome: 'returned', success: true, ret: null });
    });

    it('answers an empty batch with an empty array', () => {
      expect(store().writeResults([])).toEqual([]);
    });

    // writeResults$ where the store has it (PostgreSQL), writeResults where not: same rules.
    it('applies writes through storeResults$ in the order they start, each once durable', async () => {
      const job = jobAt(T0);
      store().createJob(job);
      const first = firstValueFrom(storeResults$(store(), [returned(job.jid, 'db1', 'first')]));
      const again = firstValueFrom(
        storeResults$(store(), [returned(job.jid, 'db1', 'second'), failed(job.jid, 'x', 'offline')]),
      );
      expect(await Promise.all([first, again])).toEqual([[true], [false, false]]);
      expect(await firstValueFrom(storeResults$(store(), []))).toEqual([]);
      expect(store().lookupJob(job.jid)?.minions[1]).toMatchObject({ id: 'db1', ret: 'first' });
    });

    it('fails a write through storeResults$ on a closed store', async () => {
      const closed = store();
      closed.close();
      await expect(firstValueFrom(storeResults$(closed, [returned(jobAt(T0).jid, 'db1')]))).rejects.toThrow();
    });
  });
}
