import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { type SchedulerLike, type Subscription, mergeMap, of, tap, timer } from 'rxjs';
import { MISSED_CAP, missedSlots, scheduleFires$ } from './schedule-fires.js';
import { ErrorCode } from '@brine/protocol';
import { MinionError } from '../errors.js';
import type { MinionScheduleView, ScheduleControl } from '../modules/types.js';
import {
  everyMs,
  MINION_SCHEDULE_NAME,
  minionScheduleEntrySchema,
  type MinionScheduleEntry,
} from './schedule-config.js';

/** What {@link MinionSchedule} needs. */
export interface MinionScheduleDeps {
  config: Readonly<Record<string, MinionScheduleEntry>>;
  /** `<state_dir>/schedule.json`: schedules added at run time and enable/disable. */
  file: string;
  scheduler: SchedulerLike;
  random(): number;
  /** Starts one run (Executor.runScheduled); `onDone` when it has finished. */
  run(name: string, entry: MinionScheduleEntry, onDone: () => void): void;
  /**
   * Told of the slots a schedule missed while the minion was stopped (they are not run late),
   * once per schedule and start; the daemon sends it to the master as an event. @default none
   */
  missed?(report: MissedFires): void;
  log: Logger;
}

/** The slots a schedule missed while the minion was stopped, as the master reports its own. */
export interface MissedFires {
  name: string;
  count: number;
  /** The first and last missed slots, epoch ms. */
  first: number;
  last: number;
  /** More were missed than were counted ({@link MISSED_CAP}). */
  capped: boolean;
}

interface Saved {
  added: Record<string, MinionScheduleEntry>;
  enabled: Record<string, boolean>;
  /** `schedule.disable`: no schedule fires until `schedule.enable`. */
  all_disabled?: boolean;
  /**
   * The slot each schedule last fired at (epoch ms), written before its run starts: a restarted
   * minion keeps the grid, reports the slots it missed and never runs a slot twice (issue #19).
   */
  last_fire: Record<string, number>;
}

const ERR = ErrorCode.SCHEDULE_NAME;

/**
 * The minion's own schedule: runs jobs on intervals or cron expressions whether or not the master is reachable; the
 * returns go through the outbox (see Executor.runScheduled). Config schedules plus those added
 * with `schedule.add`, kept with enable/disable in the state file. A fire while `max_running`
 * runs are going is skipped and logged. Owns its timers: {@link stop} ends them.
 */
export class MinionSchedule implements ScheduleControl {
  readonly #d: MinionScheduleDeps;
  readonly #saved: Saved;
  readonly #timers = new Map<string, Subscription>();
  readonly #running = new Map<string, number>();
  /** The slot each schedule last fired at, so a re-armed schedule keeps its grid and never repeats a slot. */
  readonly #lastFire: Map<string, number>;
  /** Schedules whose last fire came from the file and whose missed slots are not yet reported. */
  readonly #restored: Set<string>;
  /** Schedules from the minion's pillar (`schedule:`), which take precedence over the others of the same name. */
  #pillar: Readonly<Record<string, MinionScheduleEntry>> = {};

  constructor(deps: MinionScheduleDeps) {
    this.#d = deps;
    this.#saved = load(deps.file);
    this.#lastFire = new Map(Object.entries(this.#saved.last_fire));
    this.#restored = new Set(this.#lastFire.keys());
  }

  /** Arms every enabled schedule. */
  start(): void {
    for (const [name, entry] of this.#all()) this.#arm(name, entry);
  }

  list(): Record<string, MinionScheduleView> {
    const out: Record<string, MinionScheduleView> = {};
    for (const [name, e] of this.#all())
      out[name] = {
        function: e.function,
        args: e.args,
        kwargs: e.kwargs,
        ...(e.cron === undefined
          ? { seconds: everyMs(e)! / 1000 }
          : { cron: e.cron, ...(e.timezone === undefined ? {} : { timezone: e.timezone }) }),
        splay: e.splay,
        max_running: e.max_running,
        enabled: this.#enabled(name, e),
        active: this.#enabled(name, e) && this.#saved.all_disabled !== true,
        source: this.#source(name),
      };
    return out;
  }

  /**
   * Takes the schedules of a new pillar (validated): one that is new is armed, one that is gone
   * is disarmed, one that changed is armed anew, and one left as it was goes on untouched. A
   * re-armed schedule keeps its running count (`max_running`), its enable/disable and the slot it
   * last fired at, so it never fires twice for one slot (issue #19).
   */
  setPillar(entries: Readonly<Record<string, MinionScheduleEntry>>): void {
    const before = new Map(this.#all().map(([name, e]) => [name, JSON.stringify(e)]));
    this.#pillar = entries;
    const after = new Map(this.#all().map(([name, e]) => [name, JSON.stringify(e)]));
    for (const name of new Set([...before.keys(), ...after.keys()])) {
      if (before.get(name) === after.get(name)) continue;
      const entry = this.#entry(name);
      if (entry) this.#arm(name, entry);
      else this.#disarm(name);
      this.#d.log.info(
        { schedule: name, change: entry ? (before.has(name) ? 'changed' : 'added') : 'removed' },
        'schedule from pillar',
      );
    }
  }

  add(name: string, raw: Record<string, unknown>): void {
    if (!MINION_SCHEDULE_NAME.test(name)) throw new MinionError(ERR, `'${name}' is not a schedule name`);
    if (this.#entry(name)) throw new MinionError(ERR, `schedule ${name} exists`);
    const parsed = minionScheduleEntrySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new MinionError(ErrorCode.SCHEDULE_INVALID, `${issue.path.join('.') || name}: ${issue.message}`);
    }
    this.#saved.added[name] = parsed.data;
    this.#save();
    this.#arm(name, parsed.data);
  }

  delete(name: string): void {
    if (Object.hasOwn(this.#pillar, name))
      throw new MinionError(ERR, `${name} is in this minion's pillar: disable it, or remove it there`);
    if (Object.hasOwn(this.#d.config, name))
      throw new MinionError(ERR, `${name} is in the minion config: disable it, or remove it there`);
    if (!Object.hasOwn(this.#saved.added, name)) throw new MinionError(ERR, `no schedule ${name}`);
    this.#disarm(name);
    delete this.#saved.added[name];
    delete this.#saved.enabled[name];
    delete this.#saved.last_fire[name];
    this.#lastFire.delete(name);
    this.#save();
  }

  setEnabled(name: string, enabled: boolean): void {
    const entry = this.#entry(name);
    if (!entry) throw new MinionError(ERR, `no schedule ${name}`);
    this.#saved.enabled[name] = enabled;
    this.#save();
    this.#arm(name, entry);
  }

  setAllEnabled(enabled: boolean): void {
    if (enabled) delete this.#saved.all_disabled;
    else this.#saved.all_disabled = true;
    this.#save();
    for (const [name, entry] of this.#all()) this.#arm(name, entry);
  }

  runJob(name: string, force: boolean): void {
    const entry = this.#entry(name);
    if (!entry) throw new MinionError(ERR, `no schedule ${name}`);
    // Salt's words (salt/modules/schedule.py run_job) for a disabled job without force.
    if (!force && !this.#enabled(name, entry)) throw new MinionError(ERR, `Job ${name} is disabled.`);
    // At once, like Salt's, and counted with the timed runs so max_running sees it.
    this.#running.set(name, (this.#running.get(name) ?? 0) + 1);
    this.#d.run(name, entry, () => this.#running.set(name, (this.#running.get(name) ?? 1) - 1));
  }

  /** Stops every timer; runs going on finish on their own. */
  stop(): void {
    for (const t of this.#timers.values()) t.unsubscribe();
    this.#timers.clear();
  }

  /** Every schedule by name: the pillar's over those added at run time over the config's (Salt's merge). */
  #all(): [string, MinionScheduleEntry][] {
    return Object.entries({ ...this.#d.config, ...this.#saved.added, ...this.#pillar });
  }

  #entry(name: string): MinionScheduleEntry | undefined {
    for (const from of [this.#pillar, this.#saved.added, this.#d.config])
      if (Object.hasOwn(from, name)) return from[name];
    return undefined;
  }

  #source(name: string): MinionScheduleView['source'] {
    if (Object.hasOwn(this.#pillar, name)) return 'pillar';
    return Object.hasOwn(this.#d.config, name) ? 'config' : 'runtime';
  }

  #disarm(name: string): void {
    this.#timers.get(name)?.unsubscribe();
    this.#timers.delete(name);
  }

  #enabled(name: string, e: MinionScheduleEntry): boolean {
    return this.#saved.enabled[name] ?? e.enabled;
  }

  #arm(name: string, entry: MinionScheduleEntry): void {
    const d = this.#d;
    this.#disarm(name);
    const restored = this.#restored.delete(name);
    if (this.#saved.all_disabled === true || !this.#enabled(name, entry)) return;
    if (restored) this.#reportMissed(name, entry);
    const splayMs = entry.splay * 1000;
    const fires = scheduleFires$(entry, d.scheduler, this.#lastFire.get(name)).pipe(
      tap((slot) => {
        // Kept before the run starts: a minion that dies during the run does not call it missed.
        this.#lastFire.set(name, slot);
        this.#saved.last_fire[name] = slot;
        this.#save();
      }),
      mergeMap(() => (splayMs > 0 ? timer(Math.floor(d.random() * splayMs), d.scheduler) : of(0))),
    );
    this.#timers.set(
      name,
      fires.subscribe(() => {
        const running = this.#running.get(name) ?? 0;
        if (running >= entry.max_running) {
          d.log.info({ schedule: name, running }, 'schedule fire skipped: max_running');
          return;
        }
        this.#running.set(name, running + 1);
        d.run(name, entry, () => this.#running.set(name, (this.#running.get(name) ?? 1) - 1));
      }),
    );
  }

  /** Logs and reports the slots missed since the last fire the file kept; they are not run late. */
  #reportMissed(name: string, entry: MinionScheduleEntry): void {
    const last = this.#lastFire.get(name);
    if (last === undefined) return;
    const missed = missedSlots(entry, last, this.#d.scheduler.now());
    if (missed.length === 0) return;
    const report: MissedFires = {
      name,
      count: missed.length,
      first: missed[0]!,
      last: missed.at(-1)!,
      capped: missed.length >= MISSED_CAP,
    };
    // `schedule`, not `name`: pino's own `name` field is the daemon's.
    const { name: _name, ...counts } = report;
    this.#d.log.warn({ schedule: name, ...counts }, 'schedule fires missed while the minion was stopped; not run late');
    this.#d.missed?.(report);
  }

  #save(): void {
    writeFileSync(`${this.#d.file}.tmp`, JSON.stringify(this.#saved, null, 2) + '\n', { mode: 0o600 });
    renameSync(`${this.#d.file}.tmp`, this.#d.file);
  }
}

function load(file: string): Saved {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { added: {}, enabled: {}, last_fire: {} };
  }
  const raw = JSON.parse(text) as Partial<Saved>;
  const added: Record<string, MinionScheduleEntry> = {};
  for (const [name, e] of Object.entries(raw.added ?? {})) {
    const parsed = minionScheduleEntrySchema.safeParse(e);
    if (parsed.success) added[name] = parsed.data;
  }
  const lastFire: Record<string, number> = {};
  for (const [name, at] of Object.entries(raw.last_fire ?? {})) if (Number.isFinite(at)) lastFire[name] = at;
  return {
    added,
    enabled: raw.enabled ?? {},
    last_fire: lastFire,
    ...(raw.all_disabled === true ? { all_disabled: true } : {}),
  };
}
