import { createJidGenerator, globMatch, type JobSummary } from '@brine/protocol';
import type { JobFilter, JobLookup, JobRecord, JobStore, ResultWrite, StoredMinionRow } from '../core/job-store.js';
import { JobStoreError, JobStoreErrorCode } from './job-store-error.js';
import { pageOf, targetText } from './list-query.js';

interface Entry {
  /** Position in createJob's minions list; undefined for a minion it did not list. */
  ordinal?: number;
  row: StoredMinionRow;
}

/**
 * Makes a job store that keeps everything in the process, with the same semantics as the SQLite
 * store (exactly-once returns, pending rows, filters, purge), for core tests. Not durable.
 */
export function openMemoryJobStore(): JobStore {
  const jobs = new Map<string, JobRecord>();
  const rows = new Map<string, Map<string, Entry>>();
  let closed = false;

  const live = () => {
    if (closed) throw new Error('job store is closed');
  };
  const rowsOf = (jid: string) => {
    let byId = rows.get(jid);
    if (byId === undefined) rows.set(jid, (byId = new Map()));
    return byId;
  };

  return {
    createJob(job) {
      live();
      if (jobs.has(job.jid)) {
        throw new JobStoreError(JobStoreErrorCode.jidExists, `job ${job.jid} is already stored`);
      }
      jobs.set(job.jid, structuredClone(job));
      const byId = rowsOf(job.jid);
      job.minions.forEach((id, ordinal) => {
        const entry = byId.get(id);
        if (entry === undefined) byId.set(id, { ordinal, row: { id, outcome: null, success: false } });
        else entry.ordinal ??= ordinal;
      });
    },
    writeResults(batch) {
      live();
      return batch.map((result) => writeOne(rowsOf(result.jid), result));
    },
    finishJob(jid: string, endedAt: number, summary: JobSummary) {
      live();
      const job = jobs.get(jid);
      if (job === undefined) return;
      job.endedAt = endedAt;
      job.summary = structuredClone(summary);
    },
    lookupJob(jid): JobLookup | undefined {
      live();
      const job = jobs.get(jid);
      if (job === undefined) return undefined;
      const entries = [...(rows.get(jid)?.values() ?? [])].sort(byOrdinalThenId);
      return structuredClone({ job, minions: entries.map((e) => e.row) });
    },
    listJobs(filter: JobFilter = {}) {
      live();
      const { limit, offset } = pageOf(filter);
      const matching = [...jobs.values()].filter((job) => matches(job, filter)).sort(newestFirst);
      return structuredClone(matching.slice(offset, offset + limit));
    },
    hasReturn(jid, minionId) {
      live();
      return rows.get(jid)?.get(minionId)?.row.outcome === 'returned';
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
      // As the SQLite store: results for unrecorded jobs go once their jid is older than the cut.
      const cut = createJidGenerator()(beforeMs);
      for (const jid of rows.keys()) if (jid < cut && !jobs.has(jid)) rows.delete(jid);
      return purged;
    },
    close() {
      closed = true;
      jobs.clear();
      rows.clear();
    },
  };
}

/** Applies the exactly-once rule: nothing replaces a `returned` row; a result replaces anything else. */
function writeOne(byId: Map<string, Entry>, result: ResultWrite): boolean {
  const entry = byId.get(result.id);
  if (entry?.row.outcome === 'returned') return false;
  const row: StoredMinionRow = { id: result.id, outcome: result.outcome, success: result.success };
  if (result.retcode !== undefined) row.retcode = result.retcode;
  if (result.ret !== undefined) row.ret = structuredClone(result.ret);
  if (result.reason !== undefined) row.reason = result.reason;
  if (result.durationMs !== undefined) row.durationMs = result.durationMs;
  if (entry === undefined) byId.set(result.id, { row });
  else entry.row = row;
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

function byOrdinalThenId(a: Entry, b: Entry): number {
  if (a.ordinal !== undefined && b.ordinal !== undefined) return a.ordinal - b.ordinal;
  if (a.ordinal !== undefined) return -1;
  if (b.ordinal !== undefined) return 1;
  return a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0;
}
