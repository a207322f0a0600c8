import { Cron } from 'croner';

/** When a schedule fires: a cron expression (5 or 6 fields, in a time zone) or a fixed interval. */
export type ScheduleWhen = { cron: string; timezone?: string } | { everyMs: number };

/** A daily window, in minutes after midnight UTC: fires outside it are skipped. `start > end` spans midnight. */
export interface DailyWindow {
  startMin: number;
  endMin: number;
}

/** The timing part of a schedule: what the pure pipeline needs. */
export interface ScheduleTiming {
  when: ScheduleWhen;
  /** A fire waits a random 0..splayMs more, so a fleet-wide schedule does not start every job at once. */
  splayMs: number;
  /** Fires while this many runs of the schedule are still going are skipped. */
  maxRunning: number;
  enabled: boolean;
  window?: DailyWindow;
  /** Epoch ms before which the schedule does not fire. */
  after?: number;
  /** Epoch ms after which the schedule does not fire. */
  until?: number;
}

/**
 * The problem with a cron expression, or undefined when croner accepts it. croner takes 5 fields
 * (minute precision) or 6 (seconds first), and Vixie-style names and steps.
 */
export function cronProblem(expr: string, timezone?: string): string | undefined {
  try {
    // croner checks the zone only when it converts a date: ask for one, or a bad zone passes.
    new Cron(expr, { paused: true, ...(timezone ? { timezone } : {}) }).nextRun();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The first fire strictly after `after` (epoch ms), or undefined when there is none (a cron
 * expression for a date that never comes). An interval counts from `anchor`, so fires stay on
 * the same grid across restarts (`anchor + k * everyMs`).
 */
export function nextFire(when: ScheduleWhen, after: number, anchor: number): number | undefined {
  if ('everyMs' in when) {
    const k = Math.max(1, Math.floor((after - anchor) / when.everyMs) + 1);
    return anchor + k * when.everyMs;
  }
  const cron = new Cron(when.cron, { paused: true, ...(when.timezone ? { timezone: when.timezone } : {}) });
  // Strictly after `after`: a fire at exactly `after` is the one that just ran.
  return cron.nextRun(new Date(after))?.getTime();
}

/** The fires due in the open interval (`from`, `to`), at most `cap` of them (counted from the oldest). */
export function firesBetween(when: ScheduleWhen, from: number, to: number, anchor: number, cap = 1000): number[] {
  const out: number[] = [];
  for (let at = nextFire(when, from, anchor); at !== undefined && at < to && out.length < cap;) {
    out.push(at);
    at = nextFire(when, at, anchor);
  }
  return out;
}

/** Why a fire at `at` is skipped by its timing (disabled, outside its dates or window), or undefined when it runs. */
export function skipReason(
  t: ScheduleTiming,
  at: number,
): 'disabled' | 'before_after' | 'past_until' | 'outside_window' | undefined {
  if (!t.enabled) return 'disabled';
  if (t.after !== undefined && at < t.after) return 'before_after';
  if (t.until !== undefined && at > t.until) return 'past_until';
  if (t.window) {
    const minute = Math.floor((at % 86_400_000) / 60_000);
    const { startMin, endMin } = t.window;
    const inside = startMin <= endMin ? minute >= startMin && minute < endMin : minute >= startMin || minute < endMin;
    if (!inside) return 'outside_window';
  }
  return undefined;
}
