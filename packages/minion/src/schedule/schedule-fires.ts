import { Cron } from 'croner';
import { EMPTY, type Observable, type SchedulerLike, expand, map, timer } from 'rxjs';
import { everyMs, type MinionScheduleEntry } from './schedule-config.js';

/**
 * The times (epoch ms, on the scheduler's clock) a schedule entry fires: every interval from
 * subscription, or each match of its cron expression (UTC, as the master's default). Emits at each
 * fire; completes only when a cron expression has no further match; never errors for a valid entry.
 */
export function scheduleFires$(
  entry: Pick<MinionScheduleEntry, 'cron' | 'seconds' | 'minutes' | 'hours' | 'days'>,
  scheduler: SchedulerLike,
): Observable<number> {
  if (entry.cron === undefined) {
    const every = everyMs(entry)!;
    return timer(every, every, scheduler).pipe(map(() => scheduler.now()));
  }
  const cron = new Cron(entry.cron, { paused: true, timezone: 'Etc/UTC' });
  // Each fire waits for the next match strictly after the previous one, so a fire never repeats
  // a match and a slow clock tick cannot skip one.
  const after = (from: number): Observable<number> => {
    const at = cron.nextRun(new Date(from))?.getTime();
    return at === undefined ? EMPTY : timer(Math.max(0, at - scheduler.now()), scheduler).pipe(map(() => at));
  };
  return after(scheduler.now()).pipe(expand(after));
}
