import { TargetType, type TargetTypeValue } from '@brine/protocol';
import { z } from 'zod';
import { ACCOUNT_NAME_PATTERN } from './config-auth.js';
import { cronProblem } from './core/schedule/schedule-times.js';

const slsFiles = z.array(z.string().min(1)).min(1);

/** Brine's longer form of a reactor entry: the files plus pacing and concurrency. */
const reactorEntryOptions = z
  .object({
    sls: slsFiles,
    /** React to the first event of a key, then ignore that key for this long. */
    throttle_ms: z.number().int().positive().optional(),
    /** React to the last event of a key once it has been quiet for this long. */
    debounce_ms: z.number().int().positive().optional(),
    /** What throttle and debounce count by: the whole tag, or the minion id (`data.id`, else the tag's third part). */
    key: z.enum(['tag', 'minion']).default('tag'),
    /** Reactions of this entry running at once; defaults to `reactor_concurrency`. */
    concurrency: z.number().int().positive().max(1000).optional(),
  })
  .strict()
  .refine((o) => o.throttle_ms === undefined || o.debounce_ms === undefined, 'throttle_ms or debounce_ms, not both');

/** One reactor entry: Salt's `{tag glob: [sls files]}`, or `{tag glob: {sls: [...], throttle_ms, ...}}`. */
export const reactorEntrySchema = z
  .record(z.string().min(1), z.union([slsFiles, reactorEntryOptions]))
  .refine((o) => Object.keys(o).length === 1, 'a reactor entry maps one tag glob to its SLS files');
/** A validated reactor entry. */
export type ReactorEntryConfig = z.infer<typeof reactorEntrySchema>;

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM (24-hour, UTC)');
const instant = z.union([z.string(), z.number()]).refine((v) => !Number.isNaN(new Date(v).getTime()), 'a date');

/**
 * One master schedule, in Salt's names where Salt has one: a job (`function`, `target`,
 * `args`, `kwargs`) on a `cron` expression or an interval (`seconds`, `minutes`, `hours`,
 * `days`, added up), with `splay` (seconds), `max_running`, `enabled`, `after`/`until` and a
 * daily `window`.
 */
export const scheduleEntrySchema = z
  .object({
    function: z.string().regex(/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/i, 'module.function'),
    target: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).default('*'),
    target_type: z.enum(Object.values(TargetType) as [TargetTypeValue, ...TargetTypeValue[]]).default('glob'),
    args: z.array(z.unknown()).default([]),
    kwargs: z.record(z.string(), z.unknown()).default({}),
    cron: z.string().optional(),
    /** The cron expression's time zone (IANA name); the host's local time when absent. */
    timezone: z.string().optional(),
    seconds: z.number().nonnegative().optional(),
    minutes: z.number().nonnegative().optional(),
    hours: z.number().nonnegative().optional(),
    days: z.number().nonnegative().optional(),
    splay: z.number().nonnegative().default(0),
    max_running: z.number().int().positive().default(1),
    enabled: z.boolean().default(true),
    after: instant.optional(),
    until: instant.optional(),
    window: z.object({ start: clock, end: clock }).strict().optional(),
    timeout_ms: z.number().int().positive().max(86_400_000).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const interval = intervalMs(s);
    if ((s.cron === undefined) === (interval === undefined))
      ctx.addIssue({ code: 'custom', message: 'give either cron or an interval (seconds, minutes, hours, days)' });
    if (interval !== undefined && interval < 1000)
      ctx.addIssue({ code: 'custom', message: 'an interval is at least one second' });
    if (s.cron !== undefined) {
      const problem = cronProblem(s.cron, s.timezone);
      if (problem) ctx.addIssue({ code: 'custom', path: ['cron'], message: `invalid cron expression: ${problem}` });
    }
  });
/** A validated master schedule. */
export type ScheduleEntryConfig = z.infer<typeof scheduleEntrySchema>;

/** A schedule's interval in ms from Salt's `seconds`/`minutes`/`hours`/`days`, or undefined without one. */
export function intervalMs(s: Pick<ScheduleEntryConfig, 'seconds' | 'minutes' | 'hours' | 'days'>): number | undefined {
  const parts = [s.seconds, s.minutes, s.hours, s.days];
  if (parts.every((p) => p === undefined)) return undefined;
  return Math.round(((s.seconds ?? 0) + (s.minutes ?? 0) * 60 + (s.hours ?? 0) * 3600 + (s.days ?? 0) * 86_400) * 1000);
}

/** Schedule names: what appears in an event tag and a file. */
export const SCHEDULE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The master's reactor and scheduler keys (docs/automation.md), spread into its config schema. */
export const automationConfigShape = {
  /** Salt's reactor list: `- 'brine/minion/*\/connected': [/srv/reactor/new.sls]`. */
  reactor: z.array(reactorEntrySchema).default([]),
  /** The identity reactions run as: its ACL entry (`acl.<name>`) decides what they may do. */
  reactor_user: z.string().regex(ACCOUNT_NAME_PATTERN).default('reactor'),
  /** The loop limit: at most `max` reactions per tag (jids counted as one) per `window_ms`. */
  reactor_tag_limit: z
    .object({ max: z.number().int().positive().default(10), window_ms: z.number().int().positive().default(60_000) })
    .strict()
    .prefault({}),
  /** Reactions of one entry running at once (Salt's reactor_worker_threads). */
  reactor_concurrency: z.number().int().positive().max(1000).default(4),
  /** Master schedules by name. */
  schedule: z.record(z.string().regex(SCHEDULE_NAME_PATTERN, 'a schedule name'), scheduleEntrySchema).default({}),
  /** Events a minion may send (event.send, beacons): a token bucket per minion; the excess is dropped and logged. */
  minion_event_rate: z
    .object({ per_sec: z.number().positive().default(10), burst: z.number().int().positive().default(100) })
    .strict()
    .prefault({}),
  /** The identity scheduled jobs run as, under its ACL entry. */
  schedule_user: z.string().regex(ACCOUNT_NAME_PATTERN).default('scheduler'),
};
