import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { type SchedulerLike, type Subscription, mergeMap, of, timer } from 'rxjs';
import { scheduleFires$ } from './schedule-fires.js';
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
  log: Logger;
}

interface Saved {
  added: Record<string, MinionScheduleEntry>;
  enabled: Record<string, boolean>;
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

  constructor(deps: MinionScheduleDeps) {
    this.#d = deps;
    this.#saved = load(deps.file);
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
        ...(e.cron === undefined ? { seconds: everyMs(e)! / 1000 } : { cron: e.cron }),
        splay: e.splay,
        max_running: e.max_running,
        enabled: this.#enabled(name, e),
        source: Object.hasOwn(this.#d.config, name) ? 'config' : 'runtime',
      };
    return out;
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
    if (Object.hasOwn(this.#d.config, name))
      throw new MinionError(ERR, `${name} is in the minion config: disable it, or remove it there`);
    if (!Object.hasOwn(this.#saved.added, name)) throw new MinionError(ERR, `no schedule ${name}`);
    this.#timers.get(name)?.unsubscribe();
    this.#timers.delete(name);
    delete this.#saved.added[name];
    delete this.#saved.enabled[name];
    this.#save();
  }

  setEnabled(name: string, enabled: boolean): void {
    const entry = this.#entry(name);
    if (!entry) throw new MinionError(ERR, `no schedule ${name}`);
    this.#saved.enabled[name] = enabled;
    this.#save();
    this.#arm(name, entry);
  }

  /** Stops every timer; runs going on finish on their own. */
  stop(): void {
    for (const t of this.#timers.values()) t.unsubscribe();
    this.#timers.clear();
  }

  #all(): [string, MinionScheduleEntry][] {
    return [...Object.entries(this.#d.config), ...Object.entries(this.#saved.added)];
  }

  #entry(name: string): MinionScheduleEntry | undefined {
    if (Object.hasOwn(this.#d.config, name)) return this.#d.config[name];
    return Object.hasOwn(this.#saved.added, name) ? this.#saved.added[name] : undefined;
  }

  #enabled(name: string, e: MinionScheduleEntry): boolean {
    return this.#saved.enabled[name] ?? e.enabled;
  }

  #arm(name: string, entry: MinionScheduleEntry): void {
    const d = this.#d;
    this.#timers.get(name)?.unsubscribe();
    this.#timers.delete(name);
    if (!this.#enabled(name, entry)) return;
    const splayMs = entry.splay * 1000;
    const fires = scheduleFires$(entry, d.scheduler).pipe(
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
    return { added: {}, enabled: {} };
  }
  const raw = JSON.parse(text) as Partial<Saved>;
  const added: Record<string, MinionScheduleEntry> = {};
  for (const [name, e] of Object.entries(raw.added ?? {})) {
    const parsed = minionScheduleEntrySchema.safeParse(e);
    if (parsed.success) added[name] = parsed.data;
  }
  return { added, enabled: raw.enabled ?? {} };
}
