import { mkdirSync } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { octalMode } from '../modules/schemas.js';
import {
  applyOwnership,
  comparePlan,
  parentMissing,
  planOwnership,
  resolveIds,
  type Ownership,
  type OwnershipPlan,
} from './file-ownership.js';
import { ownershipArgs, statePath } from './schemas.js';
import { lstatOrUndefined } from './path-stat.js';
import { failed, guarded, stateResult } from './result.js';
import { defineState, type StateContext, type StateResult } from './types.js';

const directoryArgs = z.object({
  name: statePath,
  ...ownershipArgs,
  /** Salt's name for the directory's mode; `mode` is accepted as an alias. */
  dir_mode: octalMode.optional(),
  makedirs: z.boolean().default(false),
  clean: z.boolean().default(false),
  /** Glob-free names (basenames) that `clean` keeps. */
  exclude: z.array(z.string()).default([]),
  /** Salt's `recurse`: apply `user`, `group` and/or `mode` (dir_mode, file_mode) to everything inside. */
  recurse: z.array(z.enum(['user', 'group', 'mode', 'ignore_files', 'ignore_dirs', 'silent'])).default([]),
  file_mode: octalMode.optional(),
});

type DirectoryArgs = z.output<typeof directoryArgs>;

/** `file.directory`: a directory with owner, group and mode; `clean` empties it of everything else. */
export const directory = defineState({
  name: 'file.directory',
  doc: `Makes sure a directory exists with the given \`user\`, \`group\` and \`dir_mode\` (or \`mode\`).
\`makedirs\` creates missing parents. \`clean: true\` removes everything inside it (but names in
\`exclude\`): Brine does not know other states' files here, so keep clean for directories
managed whole. \`recurse: [user, group, mode]\` applies those to everything inside (\`dir_mode\` to
directories, \`file_mode\` to files; \`ignore_files\`, \`ignore_dirs\`, \`silent\` as in Salt).
Changes: {<path>: "New Dir"}, \`user\`, \`group\`, \`mode\`, \`removed\`, \`recursion\`.

SLS Example:

    /srv/app:
      file.directory:
        - user: www-data
        - dir_mode: '0755'
        - makedirs: true`,
  args: directoryArgs,
  run: (a, ctx) => guarded(a.name, () => ensureDirectory(a, ctx)),
});

async function ensureDirectory(a: DirectoryArgs, ctx: StateContext): Promise<StateResult> {
  const st = lstatOrUndefined(a.name);
  if (st && !st.isDirectory()) return failed(a.name, `Specified location ${a.name} exists and is a file`);
  if (!st && (await parentMissing(a.name, a.makedirs, ctx.test))) {
    return failed(a.name, `No directory to create ${a.name} in`);
  }
  const want: Ownership = { user: a.user, group: a.group, mode: a.dir_mode ?? a.mode };
  const plan = await planOwnership(st ? a.name : undefined, want, ctx.test);
  const removed = a.clean && st ? await entriesToClean(a.name, a.exclude) : [];
  const inside = st && a.recurse.length > 0 ? await planRecursion(a, ctx.test, removed) : [];
  const changes: Record<string, unknown> = {
    ...(st ? {} : { [a.name]: 'New Dir' }),
    ...plan.changes,
    ...(removed.length > 0 ? { removed } : {}),
    ...(inside.length > 0 && !a.recurse.includes('silent')
      ? { recursion: Object.fromEntries(inside.map((i) => [i.path, i.plan.changes])) }
      : {}),
  };
  if (Object.keys(changes).length === 0) {
    return stateResult(a.name, { comment: `Directory ${a.name} is in the correct state` });
  }
  if (ctx.test) {
    const what = st ? 'changed' : 'created';
    return stateResult(a.name, { result: null, comment: `The directory ${a.name} is set to be ${what}`, changes });
  }
  if (!st) mkdirSync(a.name, { recursive: true, mode: want.mode ?? 0o755 });
  await applyOwnership(a.name, await planOwnership(a.name, want), want);
  for (const path of removed) await rm(path, { recursive: true, force: true });
  for (const { path, plan: p, want: w } of inside) await applyOwnership(path, p, w);
  if (inside.length > 0 && a.recurse.includes('silent')) changes.recursion = `${inside.length} paths changed`;
  return stateResult(a.name, { comment: `Directory ${a.name} updated`, changes });
}

/** Paths inside the directory whose owner, group or mode `recurse` would change (symlinks are left alone). */
async function planRecursion(
  a: DirectoryArgs,
  test: boolean,
  removed: readonly string[],
): Promise<{ path: string; plan: OwnershipPlan; want: Ownership }[]> {
  const pick = (what: 'user' | 'group' | 'mode') => a.recurse.includes(what);
  const base = { user: pick('user') ? a.user : undefined, group: pick('group') ? a.group : undefined };
  const forDirs: Ownership = { ...base, mode: pick('mode') ? (a.dir_mode ?? a.mode) : undefined };
  const forFiles: Ownership = { ...base, mode: pick('mode') ? a.file_mode : undefined };
  const ids = await resolveIds(base, test);
  const out: { path: string; plan: OwnershipPlan; want: Ownership }[] = [];
  for (const entry of await readdir(a.name, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isSymbolicLink() || removed.some((r) => path === r || path.startsWith(`${r}/`))) continue;
    const dir = entry.isDirectory();
    if ((dir && a.recurse.includes('ignore_dirs')) || (!dir && a.recurse.includes('ignore_files'))) continue;
    const want = dir ? forDirs : forFiles;
    const plan = comparePlan(await lstat(path), want, ids);
    if (Object.keys(plan.changes).length > 0) out.push({ path, plan, want });
  }
  return out.sort((x, y) => x.path.localeCompare(y.path));
}

async function entriesToClean(dir: string, exclude: readonly string[]): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .filter((n) => !exclude.includes(n))
    .map((n) => join(dir, n))
    .sort();
}

/** `file.absent`: a path that must not exist. */
export const absent = defineState({
  name: 'file.absent',
  doc: `Makes sure a file, symlink or directory (with its contents) does not exist. Refuses "/".
Changes: {removed: <path>}.

SLS Example:

    /etc/cron.d/old-job:
      file.absent`,
  args: z.object({ name: statePath }),
  run: ({ name }, ctx) =>
    guarded(name, async () => {
      if (resolve(name) === '/') return failed(name, 'Refusing to make "/" absent');
      const st = await lstat(name).catch(() => undefined);
      if (!st) return stateResult(name, { comment: `File ${name} is not present` });
      const kind = st.isDirectory() ? 'directory' : 'file';
      const changes = { removed: name };
      if (ctx.test) return stateResult(name, { result: null, comment: `File ${name} is set for removal`, changes });
      await rm(name, { recursive: true, force: true });
      return stateResult(name, { comment: `Removed ${kind} ${name}`, changes });
    }),
});
