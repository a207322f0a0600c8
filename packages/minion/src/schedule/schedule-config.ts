import { z } from 'zod';
import { cronProblem } from './cron-problem.js';

/**
 * One schedule of the minion's own (`schedule:` in minion config, or `schedule.add`): a function
 * on an interval (`seconds`, `minutes`, `hours`, `days`, added up) or a `cron` expression (5
 * fields, or 6 with seconds first; in `timezone`, UTC by default), with `splay` (seconds), `max_running`, `enabled`, and
 * `timeout_s` for each run.
 */
export const minionScheduleEntrySchema = z
  .object({
    function: z.string().regex(/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/i, 'module.function'),
    args: z.array(z.unknown()).default([]),
    kwargs: z.record(z.string(), z.unknown()).default({}),
    seconds: z.number().nonnegative().optional(),
    minutes: z.number().nonnegative().optional(),
    hours: z.number().nonnegative().optional(),
    days: z.number().nonnegative().optional(),
    cron: z.string().min(1).optional(),
    /** The cron expression's time zone (an IANA name, `Europe/Paris`). @default UTC */
    timezone: z.string().min(1).optional(),
    splay: z.number().nonnegative().default(0),
    max_running: z.number().int().positive().default(1),
    enabled: z.boolean().default(true),
    timeout_s: z.number().positive().max(86_400).default(300),
  })
  .strict()
  .superRefine((s, ctx) => {
    const ms = everyMs(s);
    if (s.cron !== undefined) {
      if (ms !== undefined) ctx.addIssue({ code: 'custom', message: 'give cron or an interval, not both' });
      const problem = cronProblem(s.cron, s.timezone);
      if (problem) ctx.addIssue({ code: 'custom', path: ['cron'], message: `invalid cron expression: ${problem}` });
    } else if (s.timezone !== undefined)
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'a time zone applies to a cron expression only' });
    else if (ms === undefined)
      ctx.addIssue({ code: 'custom', message: 'give an interval (seconds, minutes, hours or days) or cron' });
    else if (ms < 1000) ctx.addIssue({ code: 'custom', message: 'an interval is at least one second' });
  });

/** A validated minion schedule entry. */
export type MinionScheduleEntry = z.infer<typeof minionScheduleEntrySchema>;

/** The name of a schedule: what appears in a return and a file. */
export const MINION_SCHEDULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The minion's `schedule:` section: schedules by name. */
export const minionScheduleConfigSchema = z
  .record(z.string().regex(MINION_SCHEDULE_NAME, 'a schedule name'), minionScheduleEntrySchema)
  .default({});

/** An entry's interval in ms, or undefined without one. */
export function everyMs(s: Pick<MinionScheduleEntry, 'seconds' | 'minutes' | 'hours' | 'days'>): number | undefined {
  if ([s.seconds, s.minutes, s.hours, s.days].every((p) => p === undefined)) return undefined;
  return Math.round(((s.seconds ?? 0) + (s.minutes ?? 0) * 60 + (s.hours ?? 0) * 3600 + (s.days ?? 0) * 86_400) * 1000);
}
