import type { JobSummary, MinionResult, OutcomeValue, TargetTypeValue } from '@brine/protocol';

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
}

/** A job with one row for each targeted minion, including those that never returned. */
export interface JobLookup {
  job: JobRecord;
  minions: StoredMinionRow[];
}

/** A result to write: which job, which minion, what happened. */
export interface ResultWrite extends MinionResult {
  jid: string;
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
 * - exactly-once results: `writeResults` stores a `returned` result for a (jid, minion) at most
 *   once (later duplicates are ignored and reported as such); a `returned` result replaces an
 *   earlier non-returned outcome (a late return is real data); a non-returned outcome never
 *   replaces a `returned` one;
 * - batch writes in one transaction: `writeResults` is called with hundreds of rows at a time;
 * - one row per targeted minion: `lookupJob` lists every minion in `createJob`'s `minions`;
 * - retention: `purgeBefore` deletes jobs that started before a time, with their rows.
 *
 * Methods are synchronous: the embedded SQLite store answers without a round trip, and the
 * ingest pipeline batches calls so that each is one transaction.
 */
export interface JobStore {
  /** Records a new job and a pending row for each targeted minion. */
  createJob(job: JobRecord): void;
  /**
   * Writes a batch of results in one transaction. Returns, for each input row, whether it was
   * stored (`true`) or was a duplicate of a `returned` result already stored (`false`).
   */
  writeResults(rows: readonly ResultWrite[]): boolean[];
  /** Marks a job finished with its summary. */
  finishJob(jid: string, endedAt: number, summary: JobSummary): void;
  /** One job with a row per targeted minion, or undefined for an unknown jid. */
  lookupJob(jid: string): JobLookup | undefined;
  /** Jobs matching a filter, newest first, without their minion rows. */
  listJobs(filter?: JobFilter): JobRecord[];
  /** Whether a `returned` result for (jid, minion) is stored. */
  hasReturn(jid: string, minionId: string): boolean;
  /** Deletes jobs that started before `beforeMs`; returns how many. */
  purgeBefore(beforeMs: number): number;
  /** Flushes and closes; the store is unusable afterwards. */
  close(): void;
}
