import { concat, ignoreElements, map, takeUntil, timer, type Observable } from 'rxjs';
import type { BrineClient, JobOptions, JobStreamEvent } from '@brine/client';

/**
 * The sequence ran past its budget: the job running then was cancelled, the rest never started.
 * The example's own error, with its own code: `BrineClientError` takes only the client's codes.
 */
export class SequenceTimeoutError extends Error {
  readonly code = 'ERR_EXAMPLE_SEQUENCE_TIMEOUT';
  override readonly name = 'SequenceTimeoutError';

  constructor(budgetMs: number) {
    super(`the sequence did not finish within ${budgetMs} ms`);
  }
}

/**
 * Example 3: a sequence of jobs, one after the other with a pause between them, under one
 * global timeout. Emits every event of every job in order; completes after the last job; errors
 * with {@link SequenceTimeoutError} when `budgetMs` passes first, which also unsubscribes from
 * (and so cancels) the job running at that moment.
 *
 * ```ts
 * timedSequence$(client, [drain, upgrade, undrain], { pauseMs: 5_000, budgetMs: 600_000 });
 * ```
 */
export function timedSequence$(
  client: BrineClient,
  jobs: readonly JobOptions[],
  options: { pauseMs: number; budgetMs: number },
): Observable<JobStreamEvent> {
  const steps = jobs.flatMap((job, i) => [
    ...(i === 0 ? [] : [timer(options.pauseMs).pipe(ignoreElements())]),
    client.run$(job),
  ]);
  const deadline$ = timer(options.budgetMs).pipe(
    map(() => {
      throw new SequenceTimeoutError(options.budgetMs);
    }),
  );
  return concat(...steps).pipe(takeUntil(deadline$));
}
