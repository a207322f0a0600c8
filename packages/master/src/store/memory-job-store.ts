import { globMatch, type JobSummary } from '@brine/protocol';
import type {
  JobFilter,
  JobListing,
  JobLookup,
  JobRecord,
  JobStore,
  ResultWrite,
  StoredMinionRow,
} from '../core/job-store.js';
import { JobStoreError, JobStoreErrorCode } from './job-store-error.js';
import { pageOf, targetText } from './list-query.js';

/**
 * Makes a job store that keeps everything in the process, with the same semantics as the SQLite
 * store (results only for targeted minions, exactly-once returns per attempt, pending rows,
 * filters, purge), for core tests. Not durable.
 */
export function openMemoryJobStore(): JobStore {
  const jobs = new Map<string, JobRecord>();
  // Per job, its rows in createJob order: a Map keeps insertion order, and set() on a key it
  // already holds keeps that key's place.
  const rows = new Map<string, Map<string, StoredMinionRow>>();
  const attempts = new Map<string, number>();
  let closed = false;

  const live = () => {
    if (closed) throw new Error('job store is closed');
  };
  const listingOf = (job: JobRecord): JobListing => {
    const { minions: _, ...rest } = job;
    return { ...structuredClone(rest), targeted: rows.get(job.jid)?.size ?? 0 };
  };

  return {
    createJob(job) {
      live();
      if (jobs.has(job.jid)) {
        throw new JobStoreError(JobStoreErrorCode.jidExists, `job ${job.jid} is already stored`);
      }
      jobs.set(job.jid, structuredClone(job));
      const byId = new Map<string, StoredMinionRow>();
      for (const id of job.minions) if (!byId.has(id)) byId.set(id, { id, outcome: null, success: false });
      rows.set(job.jid, byId);
    },
    writeResults(batch) {
      live();
      return batch.map((result) => writeOne(rows.get(result.jid), result));
    },
    finishJob(jid: string, endedAt: number, summary: JobSummary) {
      live();
      const job = jobs.get(jid);
      if (job === undefined || job.endedAt !== undefined) return;
      job.endedAt = endedAt;
      job.summary = structuredClone(summary);
    },
    lookupJob(jid): JobLookup | undefined {
      live();
      const job = jobs.get(jid);
      if (job === undefined) return undefined;
      return structuredClone({ job, minions: [...(rows.get(jid)?.values() ?? [])] });
    },
    listJobs(filter: JobFilter = {}) {
      live();
      const { limit, offset } = pageOf(filter);
      const matching = [...jobs.values()].filter((job) => matches(job, filter)).sort(newestFirst);
      return matching.slice(offset, offset + limit).map(listingOf);
    },
    unfinishedJobs() {
      live();
      const unfinished = [...jobs.values()].filter((job) => job.endedAt === undefined);
      return unfinished.sort((a, b) => newestFirst(b, a)).map(listingOf);
    },
    notePublishedAttempt(jid, attempt) {
      live();
      if (jobs.has(jid)) attempts.set(jid, Math.max(attempts.get(jid) ?? 0, attempt));
    },
    publishedAttempt(jid) {
      live();
      return attempts.get(jid) ?? 0;
    },
    hasReturn(jid, minionId) {
      live();
      return rows.get(jid)?.get(minionId)?.outcome === 'returned';
    },
    purgeBefore(beforeMs) {
      live();
      let purged = 0;
      for (const job of jobs.values()) {
        if (job.startedAt >= beforeMs) continue;
        jobs.delete(job.jid);
        rows.delete(job.jid);
        purged++;
      }
      return purged;
    },
    close() {
      closed = true;
      jobs.clear();
      rows.clear();
    },
  };
}

/**
 * Applies the write rules: only a row createJob made takes a result; nothing replaces a
 * `returned` row but a `returned` from a later attempt; a result replaces anything else.
 */
function writeOne(byId: Map<string, StoredMinionRow> | undefined, result: ResultWrite): boolean {
  const stored = byId?.get(result.id);
  if (byId === undefined || stored === undefined) return false;
  const attempt = result.attempt ?? 0;
  const replaces = stored.outcome !== 'returned' || (result.outcome === 'returned' && attempt > (stored.attempt ?? 0));
  if (!replaces) return false;
  const row: StoredMinionRow = { id: result.id, outcome: result.outcome, success: result.success };
  if (result.retcode !== undefined) row.retcode = result.retcode;
  if (result.ret !== undefined) row.ret = structuredClone(result.ret);
  if (result.reason !== undefined) row.reason = result.reason;
  if (result.durationMs !== undefined) row.durationMs = result.durationMs;
  if (attempt !== 0) row.attempt = attempt;
  byId.set(result.id, row);
  return true;
}

function matches(job: JobRecord, filter: JobFilter): boolean {
  return (
    (filter.fun === undefined || globMatch(filter.fun, job.fun)) &&
    (filter.target === undefined || targetText(job.target) === filter.target) &&
    (filter.user === undefined || job.user === filter.user) &&
    (filter.since === undefined || job.startedAt >= filter.since) &&
    (filter.until === undefined || job.startedAt < filter.until) &&
    (filter.active !== true || job.endedAt === undefined)
  );
}

function newestFirst(a: JobRecord, b: JobRecord): number {
  return b.startedAt - a.startedAt || (a.jid < b.jid ? 1 : a.jid > b.jid ? -1 : 0);
}
