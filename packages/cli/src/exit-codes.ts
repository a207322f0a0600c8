import type { JobSummary, MinionResult } from '@brine/protocol';
import { ApiErrorCode, type ApiErrorCodeValue } from '@brine/protocol/errors';
import { Reason } from '@brine/protocol/outcome-reasons';
import { CliErrorCode } from './errors.js';

/**
 * Exit codes of `brine`, for scripts and CI. Salt exits 0 when a minion does not answer
 * (saltstack/salt#30148, #37802, #61505, #66274); Brine never does. Codes 64 and up are the
 * BSD `sysexits.h` ones.
 */
export const ExitCode = {
  /** Every targeted minion returned, and every function succeeded. */
  OK: 0,
  /** At least one minion returned a failure (a non-zero retcode or `success: false`). Wins over 2. */
  JOB_FAILED: 1,
  /** No minion failed, but at least one did not return (offline, no ack, timed out, cancelled, ...). */
  NOT_RETURNED: 2,
  /** The target matched no minion, so no job was published (`ERR_NO_MINIONS_MATCHED`). */
  NO_MATCH: 3,
  /** Bad flags, arguments or target syntax: the command line needs fixing (`EX_USAGE`). */
  USAGE: 64,
  /** The master could not be reached, or the connection broke mid-job (`EX_UNAVAILABLE`). */
  UNREACHABLE: 69,
  /** A bug or an unexpected error in Brine itself (`EX_SOFTWARE`). */
  INTERNAL: 70,
  /** Not authenticated, or not allowed to run this function on these targets (`EX_NOPERM`). */
  AUTH: 77,
  /** The user pressed Ctrl-C before the job finished (128 + SIGINT, as shells report it). */
  INTERRUPTED: 130,
} as const;
/** One of the {@link ExitCode} values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * A cancellation the user asked for by design: `--first N` cancels the minions still running once
 * N have succeeded, and that is not a failure of the job.
 */
const EXPECTED_CANCEL_REASONS: ReadonlySet<string> = new Set([Reason.firstReached]);

/**
 * The exit code for a finished job. A definite failure (1) wins over a missing answer (2), so a
 * `--failhard` job whose other minions were cancelled exits 1, like Salt's failhard. The results
 * are checked as well as the totals, so a summary that claims success while a result says
 * otherwise (or results are missing) never yields 0.
 */
export function exitCodeForSummary(summary: JobSummary, results: readonly MinionResult[]): ExitCodeValue {
  if (summary.targeted === 0) return ExitCode.NO_MATCH;
  let failed = summary.failed > 0;
  let missing = results.length < summary.targeted;
  for (const r of results) {
    if (r.outcome === 'returned') failed ||= !r.success;
    else if (!(r.outcome === 'cancelled' && r.reason !== undefined && EXPECTED_CANCEL_REASONS.has(r.reason)))
      missing = true;
  }
  if (failed) return ExitCode.JOB_FAILED;
  if (missing) return ExitCode.NOT_RETURNED;
  return ExitCode.OK;
}

/**
 * Every API error code, and the CLI's own usage code, with its exit code. Read from the protocol's
 * table through `@brine/protocol/errors`, which loads nothing else (no zod) on `brine`'s start;
 * the `Record` type makes the compiler check the list is whole.
 */
const API_ERROR_EXIT: Readonly<Record<ApiErrorCodeValue | typeof CliErrorCode.usage, ExitCodeValue>> = {
  [ApiErrorCode.unauthenticated]: ExitCode.AUTH,
  [ApiErrorCode.forbidden]: ExitCode.AUTH,
  [ApiErrorCode.badRequest]: ExitCode.USAGE,
  [ApiErrorCode.targetSyntax]: ExitCode.USAGE,
  [ApiErrorCode.targetTooLong]: ExitCode.USAGE,
  [ApiErrorCode.noMinions]: ExitCode.NO_MATCH,
  [ApiErrorCode.notFound]: ExitCode.USAGE,
  [ApiErrorCode.internal]: ExitCode.INTERNAL,
  // Too many logins or webhooks: the master refuses for now, as when it cannot be reached.
  [ApiErrorCode.rateLimited]: ExitCode.UNREACHABLE,
  // The CLI asked for an output the master does not write: a bug of the CLI.
  [ApiErrorCode.notAcceptable]: ExitCode.INTERNAL,
  // The command needs changing (force=true), or it cannot run against this master's config.
  [ApiErrorCode.keyExists]: ExitCode.USAGE,
  [ApiErrorCode.scheduleOff]: ExitCode.USAGE,
  [ApiErrorCode.orchUnavailable]: ExitCode.USAGE,
  [CliErrorCode.usage]: ExitCode.USAGE,
};

/** The exit code for an error with a stable `code` (an API error body or a CLI error); unknown codes are INTERNAL. */
export function exitCodeForError(code: string): ExitCodeValue {
  return Object.hasOwn(API_ERROR_EXIT, code) ? API_ERROR_EXIT[code as keyof typeof API_ERROR_EXIT] : ExitCode.INTERNAL;
}
