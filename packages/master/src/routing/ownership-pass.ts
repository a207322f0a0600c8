import type { Logger } from 'pino';
import type { JobManager } from '../core/job-manager.js';
import type { JobStore } from '../core/job-store.js';
import type { PgBridge } from '../store/pg-bridge.js';
import { lostJobs, releaseJob, takeOverJobs, type TakenJob } from './job-ownership.js';

/** What {@link ownershipPass} needs. */
export interface OwnershipPassDeps {
  db: PgBridge;
  masterId: string;
  manager: Pick<JobManager, 'adopt' | 'active' | 'leave'>;
  store: Pick<JobStore, 'lookupJob'>;
  /** Reads the returns stored for newly adopted jobs while they had no live owner. */
  readReturns(jids: string[]): void;
  now(): number;
  log: Logger;
}

/**
 * One pass of job ownership, to run with the heartbeat: first the jobs running here that
 * another master took over while this one was stalled past its lease are left (dropped without
 * deciding anything); then the jobs of masters whose lease ended are taken over (exactly one
 * master gets each) and adopted from what the store holds, one at a time, so a failure leaves
 * the others adopted and the failed one is taken again next pass (owned here, not running).
 */
export function ownershipPass(d: OwnershipPassDeps): () => void {
  const safely = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      d.log.warn({ err: (err as Error).message }, what);
    }
  };
  const running = () => d.manager.active().map((j) => j.jid);
  const adopt = (job: TakenJob) => {
    if (running().includes(job.jid)) return;
    const stored = d.store.lookupJob(job.jid);
    if (!stored || stored.job.endedAt !== undefined) return releaseJob(d.db, job.jid);
    d.log.warn({ jid: job.jid, startedAt: job.startedAt }, 'taking over a job whose master is gone');
    d.manager.adopt({ ...job, rows: stored.minions });
    d.readReturns([job.jid]);
  };
  return () => {
    safely('could not check job ownership', () => {
      for (const jid of lostJobs(d.db, d.masterId, running())) {
        d.log.warn({ jid }, 'job taken over by another master; leaving it');
        d.manager.leave(jid);
      }
    });
    safely('could not take over jobs', () => {
      for (const job of takeOverJobs(d.db, d.masterId, d.now(), running()))
        safely('could not take over a job', () => adopt(job));
    });
  };
}
