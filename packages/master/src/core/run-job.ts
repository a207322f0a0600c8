import { Observable, Subscription } from 'rxjs';
import { JobRun, type JobEvent, type JobPlan, type JobRunDeps } from './job-run.js';
import type { ConnectionChange, JobFrame } from './minion-link.js';

export type { JobEvent, JobPlan, MinionEvent } from './job-run.js';

/** Dependencies of {@link runJob$}: the run's, plus where frames and reconnects come from. */
export interface RunJobDeps extends JobRunDeps {
  /** Frames about one job from all its minions; returns arrive only once stored durably. */
  frames(jid: string): Observable<JobFrame>;
  /** Every connection change of every minion. */
  connections$: Observable<ConnectionChange>;
}

/**
 * Fans a job out to its minions. Emits, for each targeted minion, its progress and exactly one
 * result; then one `done` with the summary; then completes. Never errors.
 *
 * - With `batchSize`, at most that many minions run at once (a sliding window), and with
 *   `batchWaitMs` a slot waits that long after a minion finishes before starting the next.
 * - With `failhard`, no new minion starts after a failure; those never started are `cancelled`
 *   with reason `failhard`.
 * - With `first`, the job ends after that many successful returns: running minions are told to
 *   stop and, like those not started, are `cancelled` with reason `first_reached`.
 * - When `cancel$` emits, the same happens with reason `cancelled`.
 * - A minion's failed return is re-run up to `retries` times, `retryDelayMs` apart.
 *
 * The per-minion rules are {@link JobRun}'s. Unsubscribing stops the run's timer and its
 * subscriptions; frames arriving later are ignored.
 */
export function runJob$(plan: JobPlan, deps: RunJobDeps, cancel$: Observable<unknown>): Observable<JobEvent> {
  return new Observable<JobEvent>((subscriber) => {
    const run = new JobRun(
      plan,
      deps,
      (e) => subscriber.next(e),
      () => subscriber.complete(),
    );
    const inputs = new Subscription();
    // Listen before the first send: a fast minion may answer while start() is still sending.
    inputs.add(deps.frames(plan.jid).subscribe((f) => run.onFrame(f)));
    inputs.add(
      deps.connections$.subscribe((c) => {
        if (c.connected) run.onReconnect(c.id);
      }),
    );
    inputs.add(cancel$.subscribe(() => run.cancel()));
    run.start();
    return () => {
      inputs.unsubscribe();
      run.dispose();
    };
  });
}
