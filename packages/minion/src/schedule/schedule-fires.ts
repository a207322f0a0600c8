import { Cron } from 'croner';
import { EMPTY, type Observable, type SchedulerLike, expand, map, timer } from 'rxjs';
import { everyMs, type MinionScheduleEntry } from './schedule-config.js';

/**
 * The slots (epoch ms, on the scheduler's clock) a schedule entry fires at: every interval from
 * subscription, or each match of its cron expression (in its `timezone`, UTC by default). Given the
 * slot it last fired at (the entry was re-armed: changed by a pillar refresh, or enabled again),
 * it keeps to that grid and never gives that slot or an earlier one again (issue #19). Emits at
 * each fire; completes only when a cron expression has no further match; never errors for a
 * valid entry.
 */
export function scheduleFires$(
  entry: Pick<MinionScheduleEntry, 'cron' | 'timezone' | 'seconds' | 'minutes' | 'hours' | 'days'>,
  scheduler: SchedulerLike,
  lastFire?: number,
): Observable<number> {
  const now = scheduler.now();
  if (entry.cron === undefined) {
    const every = everyMs(entry)!;
    // The first slot after now on the grid of the last fire, or one interval from now.
    const first = lastFire === undefined ? now + every : lastFire + (Math.floor((now - lastFire) / every) + 1) * every;
    return timer(first - now, every, scheduler).pipe(map((i) => first + i * every));
  }
  const cron = new Cron(entry.cron, { paused: true, timezone: entry.timezone ?? 'Etc/UTC' });
  // Each fire waits for the next match strictly after the previous one, so a fire never repeats
  // a match and a slow clock tick cannot skip one.
  const after = (from: number): Observable<number> => {
    const at = cron.nextRun(new Date(from))?.getTime();
    return at === undefined ? EMPTY : timer(Math.max(0, at - scheduler.now()), scheduler).pipe(map(() => at));
  };
  return after(Math.max(now, lastFire ?? now)).pipe(expand(after));
}

/** At most this many missed slots are counted: a long outage of a per-second schedule stays cheap. */
export const MISSED_CAP = 1000;

/**
 * The slots an entry would have fired at after `lastFire` and up to `now` (both epoch ms): those
 * a minion that was stopped missed. The same grid as {@link scheduleFires$}: the interval's from
 * `lastFire`, or the cron expression's matches in its time zone. At most {@link MISSED_CAP}.
 */
export function missedSlots(
  entry: Pick<MinionScheduleEntry, 'cron' | 'timezone' | 'seconds' | 'minutes' | 'hours' | 'days'>,
  lastFire: number,
  now: number,
): number[] {
  const out: number[] = [];
  if (entry.cron === undefined) {
    const every = everyMs(entry)!;
    for (let at = lastFire + every; at <= now && out.length < MISSED_CAP; at += every) out.push(at);
    return out;
  }
  const cron = new Cron(entry.cron, { paused: true, timezone: entry.timezone ?? 'Etc/UTC' });
  for (let at = cron.nextRun(new Date(lastFire))?.getTime(); at !== undefined && at <= now;) {
    out.push(at);
    if (out.length >= MISSED_CAP) break;
    at = cron.nextRun(new Date(at))?.getTime();
  }
  return out;
}
