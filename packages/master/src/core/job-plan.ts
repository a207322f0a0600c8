import type { JobSummary, MinionResult, ProgressStreamValue } from '@brine/protocol';

/** What a job emits for one minion: live output while it runs, then exactly one result. */
export type MinionEvent =
  | { type: 'progress'; id: string; stream: ProgressStreamValue; data: string }
  | { type: 'result'; result: MinionResult; attempt: number; fromMinion: boolean };

/** What a running job emits: minion events, then one `done`. */
export type JobEvent = MinionEvent | { type: 'done'; summary: JobSummary };

/** A job ready to fan out: targets resolved, frames signed. */
export interface JobPlan {
  jid: string;
  fun: string;
  /** Every targeted minion, in order. */
  minions: readonly string[];
  /**
   * The signed `job.publish` frame of an attempt (0 first; retries sign the next attempt) for one
   * minion; undefined for a minion outside the job's signed audience (the minions connected when
   * the job started), which would refuse it.
   */
  frameFor(attempt: number, id: string): Uint8Array | undefined;
  ackTimeoutMs: number;
  jobTimeoutMs: number;
  /** Minions running at once; `undefined` for all at once. */
  batchSize?: number | undefined;
  /** Pause after each minion finishes before its slot starts the next, in batch mode. */
  batchWaitMs?: number | undefined;
  /** Start no new minion after the first failure. */
  failhard?: boolean | undefined;
  /** Finish after this many successful returns and cancel the rest. */
  first?: number | undefined;
  /** Re-run a failed function on that minion up to this many times. */
  retries?: number | undefined;
  retryDelayMs?: number | undefined;
  /**
   * The whole job's deadline from its start, across batches and retries: past it, minions not
   * started are `cancelled` (reason `deadline`) and running ones are stopped.
   */
  deadlineMs?: number | undefined;
  /** Extra wait after the job timeout for the minion's own timed-out return. @default 2000 */
  graceMs?: number | undefined;
}
