import type { JobStreamEvent, JobSummary, MinionResult } from '@brine/protocol';
import { filter, map, type OperatorFunction } from 'rxjs';

/** A job's results as the promise helpers give them: every minion's result, and the summary. */
export interface JobOutcome {
  jid: string;
  summary: JobSummary;
  /** Each targeted minion's result, by minion id. */
  results: Record<string, MinionResult>;
}

/**
 * Keeps only the per-minion results of a job stream (no `job.started`, progress or summary).
 * Emits each result as it arrives; completes and errors with the source.
 */
export function results(): OperatorFunction<JobStreamEvent, MinionResult> {
  return (source) =>
    source.pipe(
      filter((e): e is Extract<JobStreamEvent, { type: 'minion.result' }> => e.type === 'minion.result'),
      map((e) => e.result),
    );
}

/**
 * Keeps only the successful results (`outcome: returned` and a successful function).
 * Emits each as it arrives; completes and errors with the source.
 */
export function succeeded(): OperatorFunction<JobStreamEvent, MinionResult> {
  return (source) =>
    source.pipe(
      results(),
      filter((r) => r.success),
    );
}

/** The totals of a job from its minions' results (as the master computes them, for a finished job). */
export function summarize(jid: string, fun: string, all: readonly MinionResult[], durationMs: number): JobSummary {
  const returned = all.filter((r) => r.outcome === 'returned').length;
  const succeeded = all.filter((r) => r.success).length;
  return {
    jid,
    fun,
    targeted: all.length,
    returned,
    succeeded,
    failed: returned - succeeded,
    didNotReturn: all.length - returned,
    success: all.length > 0 && succeeded === all.length,
    durationMs,
  };
}
