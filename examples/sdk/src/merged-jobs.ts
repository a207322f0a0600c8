import { merge, type Observable } from 'rxjs';
import { results, type BrineClient, type JobOptions, type MinionResult } from '@brine/client';

/**
 * Example 1: several jobs at once, their results merged as they come. Each job runs on the
 * master in parallel; the results of all of them arrive on one stream, in arrival order.
 * Completes when every job has ended; unsubscribing cancels every job still running.
 *
 * ```ts
 * mergedJobs$(client, [
 *   { target: 'web*', fun: 'cmd.run', args: ['systemctl is-active nginx'] },
 *   { target: 'db*', fun: 'cmd.run', args: ['systemctl is-active postgresql'] },
 * ]).subscribe((r) => console.log(r.id, r.ret));
 * ```
 */
export function mergedJobs$(client: BrineClient, jobs: readonly JobOptions[]): Observable<MinionResult> {
  return merge(...jobs.map((job) => client.run$(job).pipe(results())));
}
