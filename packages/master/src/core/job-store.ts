import type { JobSummary, MinionResult, OutcomeValue, TargetTypeValue } from '@brine/protocol';
import { defer, of, type Observable } from 'rxjs';

/** A job as the cache keeps it. */
export interface JobRecord {
  jid: string;
  fun: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  target: string | string[];
  targetType: TargetTypeValue;
  /** Who asked for it (the API user). */
  user: string;
  startedAt: number;
  /** Set when every targeted minion has an outcome. */
  endedAt?: number;
  /** Every minion the target selected, in the order they were resolved. */
  minions: string[];
  summary?: JobSummary;
}

/** One minion's stored row for a job: its result, or `outcome: null` while none is known. */
export interface StoredMinionRow extends Omit<MinionResult, 'outcome'> {
  outcome: OutcomeValue | null;
  /** The execution-retry attempt that produced this result; absent for the first run (0). */
  attempt?: number;
}

/** A job with one row for each targeted minion, including those that never returned. */
export interface JobLookup {
  job: JobRecord;
  minions: StoredMinionRow[];
}

/**
 * A job as {@link JobStore.listJobs} lists it: the record without its minion list, which can be
 * tens of thousands of ids, and with how many distinct minions it targeted instead.
 */
export type JobListing = Omit<JobRecord, 'minions'> & {
  /** Distinct minions in `createJob`'s `minions`: the number of rows `lookupJob` lists. */
  targeted: number;
};

/** A result to write: which job, which minion, what happened. */
export interface ResultWrite extends MinionResult {
  jid: string;
  /**
   * The execution-retry attempt that produced it (the `attempt` of the minion's frame).
   * @default 0
   */
  attempt?: number;
}

/** Filters for {@link JobStore.listJobs}. All optional; results are newest first. */
export interface JobFilter {
  /** Glob on the function name. */
  fun?: string;
  /** Exact target text. */
  target?: string;
  user?: string;
  /** Jobs started at or after this time (ms since epoch). */
  since?: number;
  /** Jobs started before this time (ms since epoch). */
  until?: number;
  /** Only jobs with no end time yet. */
  active?: boolean;
  /** @default 50 */
  limit?: number;
  /** @default 0 */
  offset?: number;
}

/**
 * The job cache. The job pipeline writes through it, and the API reads from it.
 *
 * An implementation owes:
 * - durability: when a write method returns, the data survives a kill -9 of the process;
 * - results only for targeted minions: `writeResults` only ever updates the pending row
 *   `createJob` made for a (jid, minion). A result for a pair with no row (an unknown jid, or a
 *   minion the job did not target) is refused and stores nothing: the jid in a return frame is
 *   the minion's word, and a minion must not write into jobs it was never sent (Salt's
 *   CVE-2025-22242 was a minion-controlled jid);
 * - exactly-once results per attempt: a `returned` row is replaced only by a `returned` result
 *   with a higher `attempt` (an execution retry of a failed run); one with the same or a lower
 *   attempt is a duplicate. A `returned` result replaces a pending row or a non-returned outcome
 *   whatever its attempt (a late return is real data). A non-returned outcome replaces a pending
 *   row or an earlier non-returned outcome, never a `returned` one;
 * - batch writes in one transaction: `writeResults` is called with hundreds of rows at a time;
 * - one row per targeted minion: `lookupJob` lists every minion in `createJob`'s `minions`, in
 *   that order, a repeated id once;
 * - cheap listing: `listJobs` never reads minion lists or rows, so a page of 1,000 jobs costs
 *   the same whatever the jobs' sizes;
 * - idempotent finishing: `finishJob` on a finished job (or an unknown jid) changes nothing, so
 *   a recovery pass and the live pipeline may both finish a job;
 * - retention: `purgeBefore` deletes jobs that started before a time, with their rows.
 *
 * Methods are synchronous: the embedded SQLite store answers without a round trip, and the
 * ingest pipeline batches calls so that each is one transaction. A store whose commit is a
 * round trip (PostgreSQL) may also offer `writeResults$`, the same write without blocking the
 * caller; callers reach either through {@link storeResults$}.
 */
export interface JobStore {
  /** Records a new job and a pending row for each targeted minion. */
  createJob(job: JobRecord): void;
  /**
   * Writes a batch of results in one transaction. Returns, for each input row, whether it was
   * stored (`true`), or refused (`false`): a duplicate, an outcome that may not replace the
   * stored one, or a (jid, minion) the store has no row for.
   */
  writeResults(rows: readonly ResultWrite[]): boolean[];
  /**
   * Optional: `writeResults` without blocking the caller while the database commits. Starts the
   * write when subscribed; emits the same flags once the batch is durable, then completes; errors
   * where `writeResults` would throw. Writes are applied in the order they were subscribed, and
   * after every call made before them on this store (a job's `createJob` first), so a caller that
   * acks only on emission keeps the ack-after-commit rule. Unsubscribing does not undo a write.
   */
  writeResults$?(rows: readonly ResultWrite[]): Observable<boolean[]>;
  /** Marks a job finished with its summary; the first call wins and later calls change nothing. */
  finishJob(jid: string, endedAt: number, summary: JobSummary): void;
  /** One job with a row per targeted minion, or undefined for an unknown jid. */
  lookupJob(jid: string): JobLookup | undefined;
  /** Jobs matching a filter, newest first, without their minion lists or rows. */
  listJobs(filter?: JobFilter): JobListing[];
  /**
   * Every job with no end time, whatever its age, oldest first: after a restart, the jobs that
   * were running when the previous process stopped.
   */
  unfinishedJobs(): JobListing[];
  /**
   * Records that execution-retry `attempt` of a job was published, so that a return for it is
   * still accepted after a master restart. Keeps the highest attempt; an unknown jid is ignored.
   */
  notePublishedAttempt(jid: string, attempt: number): void;
  /** The highest attempt of a job that was published: 0 when none beyond the first, or unknown. */
  publishedAttempt(jid: string): number;
  /** Whether a `returned` result for (jid, minion) is stored. */
  hasReturn(jid: string, minionId: string): boolean;
  /** Deletes jobs that started before `beforeMs`, with their rows; returns how many jobs. */
  purgeBefore(beforeMs: number): number;
  /** Flushes and closes; the store is unusable afterwards. */
  close(): void;
}

/**
 * Writes a batch through the store's `writeResults$` where it has one, else through its
 * synchronous `writeResults` when subscribed. Emits the stored flags once the batch is durable and
 * completes; errors as the write does.
 */
export function storeResults$(
  store: Pick<JobStore, 'writeResults' | 'writeResults$'>,
  rows: readonly ResultWrite[],
): Observable<boolean[]> {
  return store.writeResults$ ? store.writeResults$(rows) : defer(() => of(store.writeResults(rows)));
}
