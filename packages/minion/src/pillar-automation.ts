import { readFileSync, renameSync, writeFileSync } from 'node:fs';
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
