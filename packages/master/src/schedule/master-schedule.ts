import type { Logger } from 'pino';
import { jobRequestSchema, type JobRequest, type JobSummary } from '@brine/protocol';
import { type Observable, type SchedulerLike, type Subscription, EMPTY, filter, map, take } from 'rxjs';
import {
  intervalMs,
  scheduleEntrySchema,
  SCHEDULE_NAME_PATTERN,
  type ScheduleEntryConfig,
} from '../config-automation.js';
import type { EventBus } from '../core/event-bus.js';
import type { StartedJob } from '../core/job-manager.js';
import { schedule$, type FireOutcome } from '../core/schedule/schedule-pipeline.js';
import { firesBetween, skipReason, type ScheduleTiming } from '../core/schedule/schedule-times.js';
import { AutomationErrorCode, ReactorError } from '../reactor/errors.js';
import type { StartAsResult } from '../reactor/start-as.js';
import { readScheduleFile, writeScheduleFile, type ScheduleFileData } from './schedule-file.js';

/** What {@link MasterSchedule} needs, injected by main.ts. */
export interface MasterScheduleDeps {
  /** The `schedule:` section of the config. */
  config: Readonly<Record<string, ScheduleEntryConfig>>;
  /** `<state_dir>/schedule.json`. */
  file: string;
  scheduler: SchedulerLike;
  random(): number;
  /** Starts a schedule's job as the schedule identity (startJobAs, audited). */
  start(name: string, request: JobRequest): StartAsResult;
  bus: Pick<EventBus, 'publish'>;
  log: Logger;
}

/** One schedule as `schedule.list` shows it. */
export interface ScheduleView extends ScheduleEntryConfig {
  /** `config` or `runtime` (added with schedule.add; kept in the state dir). */
  source: 'config' | 'runtime';
  lastFire?: number;
}

/** What one fire led to: the job's jid, or why it did not start. */
type RunResult = { jid: string } | { code: string };

/** The timing of a schedule entry, for the pure pipeline. */
export function timingOf(e: ScheduleEntryConfig, enabled: boolean): ScheduleTiming {
  const every = intervalMs(e);
  const clock = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  return {
    when: every !== undefined ? { everyMs: every } : { cron: e.cron!, ...(e.timezone ? { timezone: e.timezone } : {}) },
    splayMs: e.splay * 1000,
    maxRunning: e.max_running,
    enabled,
    ...(e.window ? { window: { startMin: clock(e.window.start), endMin: clock(e.window.end) } } : {}),
    ...(e.after !== undefined ? { after: new Date(e.after).getTime() } : {}),
    ...(e.until !== undefined ? { until: new Date(e.until).getTime() } : {}),
  };
}

/** A schedule entry's job, as the job manager takes it. */
export function requestOf(e: ScheduleEntryConfig): JobRequest {
  return jobRequestSchema.parse({
    target: e.target,
    targetType: e.target_type,
    fun: e.function,
    args: e.args,
    kwargs: e.kwargs,
    ...(e.timeout_ms !== undefined ? { timeoutMs: e.timeout_ms } : {}),
  });
}

/**
 * The master's scheduler: the config's schedules and those added at run time, each a
 * {@link schedule$} pipeline. Run-time changes, enable/disable and each schedule's last fire are
 * kept in the state file, so a restart neither forgets a schedule nor runs a fire twice; fires
 * missed while the master was down are reported (`brine/master/schedule/<name>/missed` and a
 * warning), never run late. Owns its subscriptions: {@link stop} ends them.
 */
export class MasterSchedule {
  readonly #d: MasterScheduleDeps;
  readonly #state: ScheduleFileData;
  readonly #running = new Map<string, Subscription>();

  constructor(deps: MasterScheduleDeps) {
    this.#d = deps;
    this.#state = readScheduleFile(deps.file);
  }

  /** Reports missed fires and arms every schedule. */
  start(): void {
    const now = this.#d.scheduler.now();
    for (const [name, entry] of this.#all()) {
      const run = this.#state.runs[name];
      if (run?.lastFire !== undefined) this.#reportMissed(name, entry, run.anchor, run.lastFire, now);
      this.#arm(name, entry);
    }
    this.#save();
  }

  /** Every schedule with its source and last fire. */
  list(): Record<string, ScheduleView> {
    const out: Record<string, ScheduleView> = {};
    for (const [name, entry] of this.#all()) {
      const lastFire = this.#state.runs[name]?.lastFire;
      out[name] = {
        ...entry,
        enabled: this.#enabled(name, entry),
        source: Object.hasOwn(this.#d.config, name) ? 'config' : 'runtime',
        ...(lastFire !== undefined ? { lastFire } : {}),
      };
    }
    return out;
  }

  /** Adds a schedule at run time (kept across restarts); throws ERR_SCHEDULE_NAME or ERR_SCHEDULE_INVALID. */
  add(name: string, raw: unknown): void {
    if (!SCHEDULE_NAME_PATTERN.test(name)) throw new ReactorError(AutomationErrorCode.scheduleName, 'a schedule name');
    if (this.#entry(name)) throw new ReactorError(AutomationErrorCode.scheduleName, `schedule ${name} exists`);
    const parsed = scheduleEntrySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ReactorError(AutomationErrorCode.scheduleInvalid, `${issue.path.join('.') || name}: ${issue.message}`);
    }
    this.#state.added[name] = parsed.data;
    this.#state.runs[name] = { anchor: this.#d.scheduler.now() };
    this.#arm(name, parsed.data);
    this.#save();
  }

  /** Deletes a run-time schedule; one from the config is disabled or removed from the config instead. */
  delete(name: string): void {
    if (Object.hasOwn(this.#d.config, name))
      throw new ReactorError(
        AutomationErrorCode.scheduleName,
        `${name} is in the config: disable it, or remove it there`,
      );
    if (!Object.hasOwn(this.#state.added, name))
      throw new ReactorError(AutomationErrorCode.scheduleName, `no schedule ${name}`);
    this.#running.get(name)?.unsubscribe();
    this.#running.delete(name);
    delete this.#state.added[name];
    delete this.#state.enabled[name];
    delete this.#state.runs[name];
    this.#save();
  }

  /** Enables or disables a schedule (kept across restarts). */
  setEnabled(name: string, enabled: boolean): void {
    const entry = this.#entry(name);
    if (!entry) throw new ReactorError(AutomationErrorCode.scheduleName, `no schedule ${name}`);
    this.#state.enabled[name] = enabled;
    this.#arm(name, entry);
    this.#save();
  }

  /** Runs a schedule's job now, outside its timing (Salt's `schedule.run_job`). */
  runJob(name: string): StartAsResult {
    const entry = this.#entry(name);
    if (!entry) throw new ReactorError(AutomationErrorCode.scheduleName, `no schedule ${name}`);
    return this.#d.start(name, requestOf(entry));
  }

  /** Ends every schedule's pipeline. */
  stop(): void {
    for (const s of this.#running.values()) s.unsubscribe();
    this.#running.clear();
  }

  #all(): [string, ScheduleEntryConfig][] {
    return [...Object.entries(this.#d.config), ...Object.entries(this.#state.added)];
  }

  #entry(name: string): ScheduleEntryConfig | undefined {
    if (Object.hasOwn(this.#d.config, name)) return this.#d.config[name];
    return Object.hasOwn(this.#state.added, name) ? this.#state.added[name] : undefined;
  }

  #enabled(name: string, entry: ScheduleEntryConfig): boolean {
    return this.#state.enabled[name] ?? entry.enabled;
  }

  #reportMissed(name: string, entry: ScheduleEntryConfig, anchor: number, lastFire: number, now: number): void {
    const timing = timingOf(entry, this.#enabled(name, entry));
    const missed = firesBetween(timing.when, lastFire, now, anchor).filter((at) => !skipReason(timing, at));
    if (missed.length === 0) return;
    const report = { name, count: missed.length, first: missed[0], last: missed.at(-1), capped: missed.length >= 1000 };
    this.#d.log.warn(report, 'schedule fires missed while the master was down; not run late');
    this.#d.bus.publish(`brine/master/schedule/${name}/missed`, report);
  }

  #arm(name: string, entry: ScheduleEntryConfig): void {
    this.#running.get(name)?.unsubscribe();
    const d = this.#d;
    const now = d.scheduler.now();
    const run = (this.#state.runs[name] ??= { anchor: now });
    const fires$ = schedule$<RunResult>({
      timing: timingOf(entry, this.#enabled(name, entry)),
      anchor: run.anchor,
      from: now,
      scheduler: d.scheduler,
      random: d.random,
      run: (at) => {
        // Noted before the job starts: a master that dies during the job must not call this fire missed.
        this.#noteFire(name, at);
        return this.#runOnce(name, entry);
      },
    });
    this.#running.set(
      name,
      fires$.subscribe((o) => this.#fired(name, o)),
    );
  }

  /** Starts the job; the run lasts until the job is done, so `max_running` counts running jobs. */
  #runOnce(name: string, entry: ScheduleEntryConfig): Observable<RunResult> {
    const started = this.#d.start(name, requestOf(entry));
    if (!started.ok) {
      this.#d.bus.publish(`brine/master/schedule/${name}/refused`, {
        name,
        code: started.code,
        message: started.message,
      });
      this.#d.log.warn({ schedule: name, code: started.code }, 'scheduled job not started');
      return EMPTY;
    }
    this.#d.bus.publish(`brine/master/schedule/${name}/run`, { name, jid: started.job.jid, fun: entry.function });
    return doneOf(started.job).pipe(map(() => ({ jid: started.job.jid })));
  }

  #fired(name: string, o: FireOutcome<RunResult>): void {
    if (o.kind === 'ran') return;
    this.#noteFire(name, o.at);
    if (o.reason !== 'disabled') {
      this.#d.bus.publish(`brine/master/schedule/${name}/skipped`, { name, at: o.at, reason: o.reason });
      this.#d.log.info({ schedule: name, reason: o.reason }, 'schedule fire skipped');
    }
  }

  #noteFire(name: string, at: number): void {
    const run = this.#state.runs[name];
    if (run) run.lastFire = Math.max(run.lastFire ?? 0, at);
    this.#save();
  }

  #save(): void {
    writeScheduleFile(this.#d.file, this.#state);
  }
}

/** Emits the job's summary once it is done, then completes. */
function doneOf(job: StartedJob): Observable<JobSummary> {
  return job.events$.pipe(
    filter((e): e is Extract<typeof e, { type: 'done' }> => e.type === 'done'),
    map((e) => e.summary),
    take(1),
  );
}
