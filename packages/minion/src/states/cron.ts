import { z } from 'zod';
import { CommandFailedError } from '../errors.js';
import { runProcess } from '../executor/run-process.js';
import { PkgUnavailableError } from '../errors.js';
import { which } from '../modules/which.js';
import { guarded, stateResult } from './result.js';
import { defineState, type StateContext, type StateFunction, type StateResult } from './types.js';

/** Salt's markers, kept so a crontab that Salt managed stays managed after moving to Brine. */
const HEADER = '# Lines below here are managed by Salt, do not edit';
const ID_TAG = 'SALT_CRON_IDENTIFIER:';
const DISABLED = '#DISABLED#';

const field = z.union([
  z.string().regex(/^[^\s]+$/, 'must be one cron field'),
  z.number().int().nonnegative().transform(String),
]);
const cronArgs = {
  name: z
    .string()
    .min(1)
    .regex(/^[^\n]+$/, 'must be one line'),
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_.-]*$/i, 'must be a user name')
    .default('root'),
  identifier: z
    .string()
    .regex(/^[^\n]+$/)
    .optional(),
};
const presentArgs = z.object({
  ...cronArgs,
  minute: field.default('*'),
  hour: field.default('*'),
  daymonth: field.default('*'),
  month: field.default('*'),
  dayweek: field.default('*'),
  special: z
    .string()
    .regex(/^@(reboot|yearly|annually|monthly|weekly|daily|midnight|hourly)$/)
    .optional(),
  comment: z
    .string()
    .regex(/^[^\n]*$/)
    .optional(),
  commented: z.boolean().default(false),
});

type Entry = { start: number; length: number };

/** Where the job `id` (or, for untagged lines, the command `cmd`) sits in the crontab lines. */
export function findEntry(lines: readonly string[], id: string, cmd: string): Entry | undefined {
  const tagged = lines.findIndex((l) => l.startsWith('#') && l.endsWith(`${ID_TAG}${id}`));
  if (tagged >= 0) return { start: tagged, length: tagged + 1 < lines.length ? 2 : 1 };
  const plain = lines.findIndex((l) => !l.startsWith('#') && commandOf(l) === cmd);
  return plain >= 0 ? { start: plain, length: 1 } : undefined;
}

function commandOf(line: string): string | undefined {
  const special = /^@\w+\s+(.*)$/.exec(line);
  if (special) return special[1];
  const m = /^\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(.*)$/.exec(line);
  return m?.[1];
}

/** The two lines Brine writes for a job: Salt's identifier comment, then the schedule and command. */
function entryLines(a: z.output<typeof presentArgs>): string[] {
  const id = a.identifier ?? a.name;
  const when = a.special ?? [a.minute, a.hour, a.daymonth, a.month, a.dayweek].join(' ');
  return [`# ${a.comment ? `${a.comment} ` : ''}${ID_TAG}${id}`, `${a.commented ? DISABLED : ''}${when} ${a.name}`];
}

async function crontab(
  args: string[],
  ctx: StateContext,
  stdin?: string,
): Promise<{ retcode: number; stdout: string; stderr: string }> {
  const program = await which('crontab');
  if (program === undefined) throw new PkgUnavailableError('crontab (Debian package cron)');
  return runProcess({
    argv: [program, ...args],
    env: { LC_ALL: 'C' },
    maxOutputBytes: 1024 * 1024,
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
    ...(stdin === undefined ? {} : { stdin }),
  });
}

async function readTab(user: string, ctx: StateContext): Promise<string[]> {
  const r = await crontab(['-l', '-u', user], ctx);
  if (r.retcode !== 0) {
    if (/no crontab for/.test(r.stderr)) return [];
    throw new CommandFailedError('crontab -l', r.retcode, r.stderr);
  }
  return r.stdout.split('\n').filter((l, i, all) => !(l === '' && i === all.length - 1));
}

async function writeTab(user: string, lines: readonly string[], ctx: StateContext): Promise<void> {
  const r = await crontab(['-u', user, '-'], ctx, `${lines.join('\n')}\n`);
  if (r.retcode !== 0) throw new CommandFailedError('crontab', r.retcode, r.stderr);
}

async function ensureCron(a: z.output<typeof presentArgs>, ctx: StateContext): Promise<StateResult> {
  const lines = await readTab(a.user, ctx);
  const want = entryLines(a);
  const at = findEntry(lines, a.identifier ?? a.name, a.name);
  if (at && lines.slice(at.start, at.start + at.length).join('\n') === want.join('\n')) {
    return stateResult(a.name, { comment: `Cron ${a.name} already present` });
  }
  const verb = at ? 'updated' : 'added';
  if (ctx.test)
    return stateResult(a.name, {
      result: null,
      comment: `Cron ${a.name} is set to be ${verb}`,
      changes: { [a.user]: a.name },
    });
  const next = at
    ? [...lines.slice(0, at.start), ...want, ...lines.slice(at.start + at.length)]
    : [...lines, ...(lines.includes(HEADER) ? [] : [HEADER]), ...want];
  await writeTab(a.user, next, ctx);
  const comment = at ? `Cron ${a.name} updated` : `Cron ${a.name} added to ${a.user}'s crontab`;
  return stateResult(a.name, { comment, changes: { [a.user]: a.name } });
}

const present = defineState({
  name: 'cron.present',
  doc: `Makes sure a user's crontab (\`user\`, default root) runs the command \`name\` on the schedule
\`minute\`, \`hour\`, \`daymonth\`, \`month\`, \`dayweek\` (each default "*") or \`special\`
(@reboot, @daily...). The job is tagged with Salt's \`SALT_CRON_IDENTIFIER:<identifier>\` comment
(identifier defaults to the command), so a changed schedule updates the line in place and a
crontab Salt managed keeps working. \`comment\` adds text to that line; \`commented: true\` disables
the job. Uses the crontab program (Debian package cron). Changes: {<user>: <name>}.

SLS Example:

    /usr/local/bin/backup:
      cron.present:
        - user: root
        - minute: 15
        - hour: 2`,
  args: presentArgs,
  run: (a, ctx) => guarded(a.name, () => ensureCron(a, ctx)),
});

const absent = defineState({
  name: 'cron.absent',
  doc: `Makes sure a user's crontab has no job for the command \`name\` (or tagged \`identifier\`).
Changes: {<user>: <name>}.

SLS Example:

    /usr/local/bin/old-backup:
      cron.absent:
        - user: root`,
  args: z.object(cronArgs),
  run: (a, ctx) =>
    guarded(a.name, async () => {
      const lines = await readTab(a.user, ctx);
      const at = findEntry(lines, a.identifier ?? a.name, a.name);
      if (!at) return stateResult(a.name, { comment: `Cron ${a.name} does not exist` });
      const changes = { [a.user]: a.name };
      if (ctx.test)
        return stateResult(a.name, { result: null, comment: `Cron ${a.name} is set to be removed`, changes });
      await writeTab(a.user, [...lines.slice(0, at.start), ...lines.slice(at.start + at.length)], ctx);
      return stateResult(a.name, { comment: `Cron ${a.name} removed from ${a.user}'s crontab`, changes });
    }),
});

/** The `cron.*` state functions: present, absent. */
export const cronStates: readonly StateFunction[] = [present, absent];
