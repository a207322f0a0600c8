import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { map, share, startWith, type Observable } from 'rxjs';
import { beaconsConfigSchema, type BeaconsConfig } from './beacons/beacons-config.js';
import {
  MINION_SCHEDULE_NAME,
  minionScheduleEntrySchema,
  type MinionScheduleEntry,
} from './schedule/schedule-config.js';

/** The beacons and schedules a minion's pillar gives it, and what was wrong with the rest. */
export interface PillarAutomation {
  beacons: BeaconsConfig;
  schedule: Record<string, MinionScheduleEntry>;
  /** One line per entry left out, naming it: `pillar beacons.disk.mounts./: ...`. */
  problems: string[];
}

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads the `beacons:` and `schedule:` sections of a minion's pillar (Salt merges them with the
 * minion config's), each in the shape of the minion config's section. Every entry is checked on
 * its own: a bad one is left out and named in `problems`, the others are kept, so one typo in
 * pillar does not stop every beacon. Never throws.
 */
export function automationFromPillar(pillar: Readonly<Record<string, unknown>>): PillarAutomation {
  const out: PillarAutomation = { beacons: {}, schedule: {}, problems: [] };
  for (const section of ['beacons', 'schedule'] as const) {
    const raw = pillar[section];
    if (raw === undefined || raw === null) continue;
    if (!isMapping(raw)) {
      out.problems.push(`pillar ${section}: a mapping of names to options`);
      continue;
    }
    for (const [name, options] of Object.entries(raw)) {
      const problem = section === 'beacons' ? addBeacon(out, name, options) : addSchedule(out, name, options);
      if (problem !== undefined) out.problems.push(`pillar ${section}.${name}: ${problem}`);
    }
  }
  return out;
}

function addBeacon(out: PillarAutomation, name: string, options: unknown): string | undefined {
  const parsed = beaconsConfigSchema.safeParse({ [name]: options });
  if (parsed.success) {
    Object.assign(out.beacons, parsed.data);
    return undefined;
  }
  const issue = parsed.error.issues[0]!;
  const path = issue.path.slice(1).map(String);
  return `${path.length > 0 ? `${path.join('.')}: ` : ''}${issue.message}`;
}

function addSchedule(out: PillarAutomation, name: string, options: unknown): string | undefined {
  if (!MINION_SCHEDULE_NAME.test(name)) return 'not a schedule name';
  const parsed = minionScheduleEntrySchema.safeParse(options);
  if (parsed.success) {
    out.schedule[name] = parsed.data;
    return undefined;
  }
  const issue = parsed.error.issues[0]!;
  return `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
}

/**
 * Reads the beacons and schedules of the last pillar, as {@link writeLastPillarAutomation} kept
 * them, for a minion that starts while the master is unreachable; `{}` when there is no file or
 * it does not parse (the entries are checked again by {@link automationFromPillar}).
 */
export function readLastPillarAutomation(file: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return isMapping(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/**
 * Keeps the pillar's beacons and schedules (only these sections, never the rest of the pillar)
 * in `file`, readable by the minion's user alone, written whole or not at all.
 */
export function writeLastPillarAutomation(file: string, a: Pick<PillarAutomation, 'beacons' | 'schedule'>): void {
  writeFileSync(`${file}.tmp`, JSON.stringify({ beacons: a.beacons, schedule: a.schedule }) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** What {@link followPillarAutomation} needs. */
export interface FollowPillarOptions {
  /** Where the last pillar's `beacons` and `schedule` are kept (`state_dir/pillar-automation.json`). */
  file: string;
  /** Each pillar the master sends. */
  changes$: Observable<Readonly<Record<string, unknown>>>;
  /** The minion config's own beacons, which a pillar entry of the same name replaces. */
  configBeacons: BeaconsConfig;
  /** Gives the minion schedule the pillar's entries. */
  setSchedule(entries: PillarAutomation['schedule']): void;
  log: Pick<Logger, 'warn'>;
}

/**
 * Pillar's `beacons:` and `schedule:` over the config's, as Salt merges them (issue #19): the
 * schedule gets the pillar's entries at once (the last pillar's, kept on disk, so a minion that
 * starts while the master is unreachable runs them too) and at each pillar; `beacons$` is the
 * merged beacon configuration, starting with the last pillar's. A bad pillar entry is left out
 * and logged, the rest apply. @returns the beacon configurations and a stop for the schedule part
 */
export function followPillarAutomation(o: FollowPillarOptions): {
  beacons$: Observable<Record<string, Readonly<Record<string, unknown>>>>;
  stop(): void;
} {
  const last = automationFromPillar(readLastPillarAutomation(o.file));
  o.setSchedule(last.schedule);
  const fromPillar$ = o.changes$.pipe(map(automationFromPillar), share());
  const schedule = fromPillar$.subscribe((a) => {
    for (const problem of a.problems) o.log.warn({ problem }, 'pillar automation entry ignored');
    o.setSchedule(a.schedule);
    try {
      writeLastPillarAutomation(o.file, a);
    } catch (err) {
      o.log.warn({ err: (err as Error).message }, 'pillar beacons and schedules not kept on disk');
    }
  });
  return {
    beacons$: fromPillar$.pipe(
      map((a) => ({ ...o.configBeacons, ...a.beacons })),
      startWith({ ...o.configBeacons, ...last.beacons }),
    ),
    stop: () => schedule.unsubscribe(),
  };
}
