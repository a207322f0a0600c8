import type { JobSummary, MinionResult } from '@brine/protocol';
import {
  type Observable,
  EMPTY,
  Subject,
  concat,
  concatMap,
  defer,
  from,
  ignoreElements,
  map,
  merge,
  mergeMap,
  of,
  shareReplay,
  take,
  takeUntil,
  tap,
  timer,
} from 'rxjs';
import { runOnMinion$, type MinionEvent, type MinionRunDeps } from './minion-run.js';
import { Reason, nonReturn } from './results.js';
import { summarize } from './summary.js';

/** A job ready to fan out: targets resolved, frames signed. */
export interface JobPlan {
  jid: string;
  fun: string;
  /** Every targeted minion, in order. */
  minions: readonly string[];
  /** The signed `job.publish` frame for an attempt (0 first; retries sign the next attempt). */
  frameFor(attempt: number): Uint8Array;
  ackTimeoutMs: number;
  jobTimeoutMs: number;
  /** Minions running at once; `undefined` for all at once. */
  batchSize?: number | undefined;
  /** Pause after each minion finishes before the next one starts, in batch mode. */
  batchWaitMs?: number | undefined;
  /** Start no new minion after the first failure. */
  failhard?: boolean | undefined;
  /** Finish after this many successful returns and cancel the rest. */
  first?: number | undefined;
  /** Re-run a failed function on that minion up to this many times. */
  retries?: number | undefined;
  retryDelayMs?: number | undefined;
  /** Extra wait after the job timeout for the minion's own timed-out return. */
  graceMs?: number | undefined;
}

/** What a running job emits: minion events, then one `done`. */
export type JobEvent = MinionEvent | { type: 'done'; summary: JobSummary };

/** Dependencies of {@link runJob$}: those of a minion run, plus cancel frames and a clock. */
export interface RunJobDeps extends MinionRunDeps {
  /** Tells a minion that may be running the job to stop it. */
  cancel(id: string, jid: string): void;
  /** The current time in ms, from the scheduler. */
  now(): number;
}

/**
 * Fans a job out to its minions. Emits, for each targeted minion, its progress and exactly one
 * result; then one `done` with the summary; then completes. Never errors.
 *
 * - With `batchSize`, at most that many minions run at once (a sliding window), and with
 *   `batchWaitMs` each slot waits that long after a minion finishes before starting the next.
 * - With `failhard`, no new minion starts after a failure; those never started are `cancelled`
 *   with reason `failhard`.
 * - With `first`, the job ends after that many successful returns: running minions are told to
 *   stop and, like those not started, are `cancelled` with reason `first_reached`.
 * - When `cancel$` emits, the same happens with reason `cancelled`.
 * - A minion's failed return is re-run up to `retries` times, `retryDelayMs` apart.
 */
export function runJob$(plan: JobPlan, deps: RunJobDeps, cancel$: Observable<unknown>): Observable<JobEvent> {
  return defer(() => {
    const startedAt = deps.now();
    const results: MinionResult[] = [];
    let succeeded = 0;
    let failed = false;
    let stopReason: string | undefined;
    const firstReached$ = new Subject<string>();
    const stop$ = merge(cancel$.pipe(map(() => Reason.cancelled)), firstReached$).pipe(
      take(1),
      tap((reason) => (stopReason ??= reason)),
      shareReplay({ bufferSize: 1, refCount: true }),
    );

    const perMinion = (id: string): Observable<MinionEvent> => {
      if (stopReason !== undefined) return of(cancelled(id, stopReason));
      if (plan.failhard && failed) return of(cancelled(id, Reason.failhard));
      let ended = false;
      const body$ = attempts$(plan, id, deps).pipe(
        tap((e) => (ended ||= e.type === 'result')),
        takeUntil(stop$),
      );
      const ifStopped$ = defer(() => {
        if (ended) return EMPTY;
        deps.cancel(id, plan.jid);
        return of(cancelled(id, stopReason ?? Reason.cancelled));
      });
      const wait$ = plan.batchWaitMs ? timer(plan.batchWaitMs, deps.scheduler).pipe(ignoreElements()) : EMPTY;
      return concat(body$, ifStopped$, wait$);
    };

    const record = (e: MinionEvent): Observable<MinionEvent> => {
      if (e.type !== 'result') return of(e);
      results.push(e.result);
      if (e.result.success) succeeded++;
      else failed = true;
      if (plan.first === undefined || succeeded < plan.first) return of(e);
      // Deliver this result first, then stop the others, so results keep their order.
      return concat(
        of(e),
        defer(() => {
          firstReached$.next(Reason.firstReached);
          return EMPTY;
        }),
      );
    };

    const minions$ = from(plan.minions).pipe(
      mergeMap(perMinion, plan.batchSize ?? Number.POSITIVE_INFINITY),
      concatMap(record),
    );
    const done$ = defer(() =>
      of<JobEvent>({ type: 'done', summary: summarize(plan.jid, plan.fun, results, deps.now() - startedAt) }),
    );
    // Hold the stop signal for the whole job, so `stopReason` is set even between batch slots.
    const sub = stop$.subscribe();
    return concat(minions$, done$).pipe(tap({ finalize: () => sub.unsubscribe() }));
  });
}

function cancelled(id: string, reason: string): MinionEvent {
  return { type: 'result', result: nonReturn(id, 'cancelled', reason), attempt: 0, fromMinion: false };
}

/** One minion's run with execution retries: a failed return is re-run with the next attempt. */
function attempts$(plan: JobPlan, id: string, deps: MinionRunDeps): Observable<MinionEvent> {
  const retries = plan.retries ?? 0;
  const go = (attempt: number): Observable<MinionEvent> =>
    runOnMinion$(
      {
        jid: plan.jid,
        id,
        attempt,
        bytes: plan.frameFor(attempt),
        ackTimeoutMs: plan.ackTimeoutMs,
        jobTimeoutMs: plan.jobTimeoutMs,
        ...(plan.graceMs === undefined ? {} : { graceMs: plan.graceMs }),
      },
      deps,
    ).pipe(
      mergeMap((e) => {
        const retry = e.type === 'result' && e.result.outcome === 'returned' && !e.result.success && attempt < retries;
        if (!retry) return of(e);
        return timer(plan.retryDelayMs ?? 0, deps.scheduler).pipe(mergeMap(() => go(attempt + 1)));
      }),
    );
  return go(0);
}
