import { type Observable, type SchedulerLike, EMPTY, defer, expand, finalize, map, mergeMap, of, timer } from 'rxjs';
import { nextFire, skipReason, type ScheduleTiming } from './schedule-times.js';

/** What became of one fire of a schedule. */
export type FireOutcome<R> =
  | { kind: 'ran'; at: number; result: R }
  | {
      kind: 'skipped';
      at: number;
      reason: 'disabled' | 'before_after' | 'past_until' | 'outside_window' | 'max_running';
    };

/** What one schedule's pipeline is given. */
export interface SchedulePipelineOptions<R> {
  timing: ScheduleTiming;
  /** Where an interval's grid starts (the schedule's first start, kept across restarts). */
  anchor: number;
  /** Fires are computed from this instant on (the last fire before a restart, or now). */
  from: number;
  scheduler: SchedulerLike;
  /** A number in [0, 1), for the splay. */
  random(): number;
  /**
   * Runs the schedule's job once. The run counts against `maxRunning` from subscription until
   * it completes or errors; its values are the outcome's results.
   */
  run(at: number): Observable<R>;
}

/**
 * Fires a schedule on its cron expression or interval, on `scheduler`'s clock. Each fire waits
 * its splay, then runs unless its timing or `maxRunning` says to skip it. Emits one outcome per
 * result of a run and one per skipped fire; completes when the schedule has no next fire and its
 * runs have ended; errors only if `run` does. One timer is armed at a time.
 */
export function schedule$<R>(o: SchedulePipelineOptions<R>): Observable<FireOutcome<R>> {
  const { timing, scheduler } = o;
  const next$ = (after: number): Observable<number> =>
    defer(() => {
      const at = nextFire(timing.when, after, o.anchor);
      if (at === undefined || (timing.until !== undefined && at > timing.until)) return EMPTY;
      return timer(Math.max(0, at - scheduler.now()), scheduler).pipe(map(() => at));
    });
  return defer(() => {
    // Runs of this subscription still going; a field of the subscription, not of the module.
    let running = 0;
    const fire = (at: number): Observable<FireOutcome<R>> => {
      const skip = skipReason(timing, at) ?? (running >= timing.maxRunning ? 'max_running' : undefined);
      if (skip) return of({ kind: 'skipped', at, reason: skip });
      running++;
      return o.run(at).pipe(
        map((result): FireOutcome<R> => ({ kind: 'ran', at, result })),
        finalize(() => running--),
      );
    };
    const splay = (at: number): Observable<number> => {
      const delay = timing.splayMs > 0 ? Math.floor(o.random() * timing.splayMs) : 0;
      return delay > 0 ? timer(delay, scheduler).pipe(map(() => at)) : of(at);
    };
    return next$(o.from).pipe(
      expand((at) => next$(at)),
      mergeMap((at) => splay(at)),
      mergeMap((at) => fire(at)),
    );
  });
}
