import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { scheduleEntrySchema } from '../config-automation.js';
import { ReactorError, AutomationErrorCode } from '../reactor/errors.js';

const fileSchema = z.object({
  version: z.literal(1),
  /** Schedules added at run time (`schedule.add`), as given. */
  added: z.record(z.string(), scheduleEntrySchema).default({}),
  /** Run-time `schedule.enable` / `schedule.disable` of any schedule. */
  enabled: z.record(z.string(), z.boolean()).default({}),
  /** Per schedule: where its interval grid starts and when it last fired. */
  runs: z.record(z.string(), z.object({ anchor: z.number(), lastFire: z.number().optional() })).default({}),
});

/** What the master keeps of its schedules across restarts, in `<state_dir>/schedule.json`. */
export type ScheduleFileData = z.infer<typeof fileSchema>;

/** The empty state: nothing added, nothing overridden, nothing fired. */
export const EMPTY_SCHEDULE_FILE: ScheduleFileData = { version: 1, added: {}, enabled: {}, runs: {} };

/**
 * Reads the schedule state file; the empty state when there is none. Throws
 * `ERR_SCHEDULE_INVALID` for a file that does not parse: the master refuses to start rather
 * than forget schedules and when they last ran.
 */
export function readScheduleFile(file: string): ScheduleFileData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return structuredClone(EMPTY_SCHEDULE_FILE);
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ReactorError(AutomationErrorCode.scheduleInvalid, `${file}: not JSON`, { cause: err });
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success)
    throw new ReactorError(AutomationErrorCode.scheduleInvalid, `${file}: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/** Writes the schedule state whole or not at all (rename), readable by the master's user only. */
export function writeScheduleFile(file: string, data: ScheduleFileData): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
