import type { JobRequest, MinionResult } from '@brine/protocol';
import { map, tap, type Observable } from 'rxjs';
import type { JobEvent } from './job-plan.js';
import { summarize } from './summary.js';
import type { StoredMinionRow } from './job-store.js';

/** A job whose owner died, as the master taking it over finds it in the store. */
export interface AdoptedJob {
  jid: string;
  request: JobRequest;
  user: string;
  startedAt: number;
  /** Every minion the job targeted, with its stored row (outcome null while none is known). */
  rows: readonly StoredMinionRow[];
}

/**
 * The terms a taken-over job runs on from `now`, so its deadlines stay where they were from its
 * stored start: the job timeout shrinks by the time already spent past the ack window (a minion
 * that acked at the last moment under the old owner would have run until `startedAt +
 * ackTimeoutMs + timeoutMs`), never below 1 ms, and so does the whole-job `deadlineMs`. The ack
 * timeout starts afresh: the new owner sends the job again, and a minion that has it answers
 * `duplicate` at once (and sends its return again if it has one).
 */
export function resumeTerms(request: JobRequest, startedAt: number, now: number, ackTimeoutMs: number): JobRequest {
  const elapsed = Math.max(0, now - startedAt);
  const ack = request.ackTimeoutMs ?? ackTimeoutMs;
  const terms: JobRequest = { ...request, timeoutMs: Math.max(1, ack + request.timeoutMs - elapsed) };
  if (request.deadlineMs !== undefined) terms.deadlineMs = Math.max(1, request.deadlineMs - elapsed);
  return terms;
}

/** The minions of an adopted job that already have an outcome, and those still waited for. */
export function splitSettled(rows: readonly StoredMinionRow[]): { settled: MinionResult[]; pending: string[] } {
  const settled: MinionResult[] = [];
  const pending: string[] = [];
  for (const row of rows) {
    if (row.outcome === null) pending.push(row.id);
    else settled.push({ ...row, outcome: row.outcome });
  }
  return { settled, pending };
}

/** A taken-over job's events, its `done` summary counting the minions settled before the takeover too. */
export function withSettled(
  run$: Observable<JobEvent>,
  job: { jid: string; request: JobRequest; startedAt: number; settled: MinionResult[] },
  now: () => number,
): Observable<JobEvent> {
  const results = [...job.settled];
  return run$.pipe(
    tap((e) => e.type === 'result' && results.push(e.result)),
    map((e): JobEvent =>
      e.type === 'done'
        ? { type: 'done', summary: summarize(job.jid, job.request.fun, results, now() - job.startedAt) }
        : e,
    ),
  );
}
