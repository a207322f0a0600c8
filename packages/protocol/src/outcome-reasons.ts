import type { MinionResult } from './api.js';

/**
 * Why a minion did not return, as the identifiers a {@link MinionResult}'s `reason` carries. The
 * master's job engine writes them; {@link reasonForOutcome} turns them into words for people.
 */
export const Reason = {
  /** The minion was not connected when the job was published. */
  notConnected: 'not_connected',
  /** The target named a minion the master has never seen (a list target, or a key without a session). */
  unknownMinion: 'unknown_minion',
  /** The minion was connected but did not acknowledge the job within the ack timeout. */
  ackTimeout: 'ack_timeout',
  /** The minion disconnected after the job was sent and before it acknowledged it. */
  disconnectedBeforeAck: 'disconnected_before_ack',
  /**
   * The minion refused the job without saying why. A refusal with a code (`ERR_JOB_EXPIRED`,
   * `ERR_EXECUTOR_BUSY`...) carries that code as its reason instead.
   */
  refused: 'refused',
  /** The job timeout passed while the minion, still connected, was running the job. */
  jobTimeoutRunning: 'job_timeout_running',
  /** The job timeout passed after the minion had disconnected. */
  jobTimeoutDisconnected: 'job_timeout_disconnected',
  /** The job timeout passed (no more detail known, e.g. a job read back after a restart). */
  jobTimeout: 'job_timeout',
  /** The job was cancelled by a caller. */
  cancelled: 'cancelled',
  /** Another minion failed and the job ran with `failhard`. */
  failhard: 'failhard',
  /** Enough minions returned for `first`; the rest were cancelled. */
  firstReached: 'first_reached',
  /** The job's overall deadline (`deadlineMs`) fell before the minion finished. */
  deadline: 'deadline',
  /** The minion restarted while it ran the job. */
  minionRestarted: 'minion_restarted',
  /** The master restarted while the job ran. */
  masterRestarted: 'master_restarted',
} as const;

/** One of the identifiers in {@link Reason}. */
export type ReasonValue = (typeof Reason)[keyof typeof Reason];

/** Words for each reason; `{after}` becomes ` after 5 s` when the time is known. */
const REASON_TEXT: Readonly<Record<ReasonValue, string>> = {
  not_connected: 'offline',
  unknown_minion: 'offline, unknown minion',
  ack_timeout: 'no ack',
  disconnected_before_ack: 'disconnected before ack',
  refused: 'refused',
  job_timeout_running: 'timed out{after}, still running',
  job_timeout_disconnected: 'timed out{after}, minion disconnected',
  job_timeout: 'timed out{after}',
  cancelled: 'cancelled',
  failhard: 'cancelled by --failhard',
  first_reached: 'cancelled, --first reached',
  deadline: 'cancelled, --deadline passed',
  minion_restarted: 'interrupted, minion restarted',
  master_restarted: 'interrupted, master restarted',
};

/** Words for a non-return that carries no reason: the outcome alone. */
const OUTCOME_TEXT: Readonly<Record<string, string>> = {
  offline: 'offline',
  no_ack: 'no ack',
  timed_out: 'timed out{after}',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
};

/**
 * A reason this build has no words for is shown as it came only when it is an identifier: a
 * reason is data from the master, and prose or control characters have no place in a terminal.
 */
const IDENTIFIER = /^[A-Za-z0-9_.:-]{1,64}$/;

/** A minion's refusal of a job (`no_ack`) carries the code of its `job.ack`, e.g. `ERR_EXECUTOR_BUSY`. */
const REFUSAL_CODE = /^ERR_[A-Z0-9_]{1,60}$/;

const has = <T extends object>(table: T, key: string): key is Extract<keyof T, string> =>
  Object.prototype.hasOwnProperty.call(table, key);

/** `5 s`, `2.5 s`, `250 ms`. */
export function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

/** The parts of a result that say why it is not a return. */
export type NonReturn = Pick<MinionResult, 'outcome' | 'reason' | 'durationMs'>;

/**
 * Why a minion did not return, in a few words: `offline`, `no ack`,
 * `timed out after 5 s, still running`, `cancelled`... The time is the result's `durationMs`,
 * else `timeoutMs` (the timeout the caller asked for). A reason without words here is shown as it
 * came when it is an identifier; else the outcome speaks. The one place that turns an outcome and
 * its reason into text: the CLI, salt-api's `local` answers and orchestration all call it.
 */
export function reasonForOutcome(result: NonReturn, timeoutMs?: number): string {
  const reason = result.reason;
  const template =
    reason === undefined
      ? (OUTCOME_TEXT[result.outcome] ?? result.outcome)
      : has(REASON_TEXT, reason)
        ? REASON_TEXT[reason]
        : result.outcome === 'no_ack' && REFUSAL_CODE.test(reason)
          ? `refused, ${reason}`
          : IDENTIFIER.test(reason)
            ? reason
            : (OUTCOME_TEXT[result.outcome] ?? result.outcome);
  const ms = result.durationMs ?? timeoutMs;
  return template.replace('{after}', ms === undefined ? '' : ` after ${formatSeconds(ms)}`);
}

/** Options of {@link didNotReturnLine}. */
export interface DidNotReturnOptions {
  /**
   * Adds the reason identifier, for bug reports and grep: `... [offline] (not_connected)`.
   * @default false
   */
  verbose?: boolean | undefined;
  /** The timeout the caller asked for, shown when the result carries no `durationMs`. */
  timeoutMs?: number | undefined;
}

/** The line Salt prints in place of a return: `Minion did not return. [offline]`. */
export function didNotReturnLine(result: NonReturn, options: DidNotReturnOptions = {}): string {
  const line = `Minion did not return. [${reasonForOutcome(result, options.timeoutMs)}]`;
  return options.verbose === true && result.reason !== undefined && IDENTIFIER.test(result.reason)
    ? `${line} (${result.reason})`
    : line;
}
