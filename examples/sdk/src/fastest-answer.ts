import { filter, firstValueFrom, take } from 'rxjs';
import { results, type BrineClient, type JobOptions, type MinionResult } from '@brine/client';

/**
 * Example 2: the fastest answer. The first minion to return successfully wins; `take(1)`
 * unsubscribes from the job, which cancels it on the master for every other minion.
 *
 * ```ts
 * const winner = await fastestAnswer(client, { target: 'mirror*', fun: 'cmd.run', args: ['curl -sI https://example.org'] });
 * ```
 */
export function fastestAnswer(client: BrineClient, job: JobOptions): Promise<MinionResult> {
  return firstValueFrom(
    client.run$(job).pipe(
      results(),
      filter((r) => r.success),
      take(1),
    ),
  );
}
