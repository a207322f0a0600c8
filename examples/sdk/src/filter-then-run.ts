import { filter, map, mergeMap, toArray, type Observable } from 'rxjs';
import { results, type BrineClient, type JobOptions, type JobStreamEvent, type MinionResult } from '@brine/client';

/**
 * Example 5: filter one job's results and flat-map into the next job on exactly those minions,
 * e.g. `pkg.version nginx` and then `state.apply nginx` only where nginx is missing. Emits the
 * second job's events; completes at once (without a second job) when no minion is kept.
 *
 * ```ts
 * filterThenRun$(client, { target: 'web*', fun: 'pkg.version', args: ['nginx'] }, (r) => r.ret === '',
 *   { fun: 'state.apply', args: ['nginx'] });
 * ```
 */
export function filterThenRun$(
  client: BrineClient,
  probe: JobOptions,
  keep: (r: MinionResult) => boolean,
  next: Pick<JobOptions, 'fun' | 'args' | 'kwargs'>,
): Observable<JobStreamEvent> {
  return client.run$(probe).pipe(
    results(),
    filter(keep),
    map((r) => r.id),
    toArray(),
    filter((ids) => ids.length > 0),
    mergeMap((ids) => client.run$({ ...next, target: ids, targetType: 'list' })),
  );
}
