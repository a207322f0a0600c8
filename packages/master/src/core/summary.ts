import type { JobSummary, MinionResult } from '@brine/protocol';

/** Totals of a job from its minions' results; `success` only when every minion returned success. */
export function summarize(jid: string, fun: string, results: readonly MinionResult[], durationMs: number): JobSummary {
  let returned = 0;
  let succeeded = 0;
  for (const r of results) {
    if (r.outcome === 'returned') returned++;
    if (r.success) succeeded++;
  }
  const targeted = results.length;
  return {
    jid,
    fun,
    targeted,
    returned,
    succeeded,
    failed: returned - succeeded,
    didNotReturn: targeted - returned,
    success: targeted > 0 && succeeded === targeted,
    durationMs,
  };
}
