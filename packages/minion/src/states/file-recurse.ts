import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { z } from 'zod';
import { octalMode } from '../modules/schemas.js';
import { contentDiff, fetchSource, readIfExists, writeAtomic } from './file-content.js';
import { applyOwnership, planOwnership, type Ownership } from './file-ownership.js';
import { masterUrl, ownershipArgs, statePath } from './schemas.js';
import { failed, guarded, stateResult } from './result.js';
import { defineState, type StateContext, type StateResult } from './types.js';

const recurseArgs = z.object({
  name: statePath,
  source: masterUrl,
  user: ownershipArgs.user,
  group: ownershipArgs.group,
  file_mode: octalMode.optional(),
  dir_mode: octalMode.optional(),
  clean: z.boolean().default(false),
  template: z.enum(['jinja']).optional(),
  context: z.record(z.string(), z.unknown()).default({}),
  defaults: z.record(z.string(), z.unknown()).default({}),
});

type RecurseArgs = z.output<typeof recurseArgs>;

/** `file.recurse`: a directory tree copied from the master's file server. */
export const recurse = defineState({
  name: 'file.recurse',
  doc: `Makes the directory \`name\` hold the files under \`source\` (a brine:// or salt://
directory), creating subdirectories; \`user\`, \`group\`, \`file_mode\`, \`dir_mode\` apply to what
it manages; \`clean: true\` removes files and directories the source does not have;
\`template: jinja\` renders every file with \`defaults\` overlaid by \`context\`. Empty source
directories are not copied (the file server lists files). Changes: {<path>: {diff}}, and
\`removed\` for clean.

SLS Example:

    /srv/www/site:
      file.recurse:
        - source: brine://site/html
        - file_mode: '0644'`,
  args: recurseArgs,
  run: (a, ctx) => guarded(a.name, () => recurseDir(a, ctx)),
});

async function recurseDir(a: RecurseArgs, ctx: StateContext): Promise<StateResult> {
  const st = await lstat(a.name).catch(() => undefined);
  if (st && !st.isDirectory()) return failed(a.name, `The path ${a.name} exists and is not a directory`);
  const prefix = a.source.replace(/\/+$/, '');
  const files = (await ctx.files.list(prefix)).filter((p) => p.startsWith(`${prefix}/`));
  if (files.length === 0)
    return failed(a.name, `The directory 'brine://${prefix}' does not exist on the master or is empty`);

  const changes: Record<string, unknown> = {};
  const wanted = new Set<string>([a.name]);
  const writes: (() => Promise<void>)[] = [];
  const dirOwn: Ownership = { user: a.user, group: a.group, mode: a.dir_mode };
  const fileOwn: Ownership = { user: a.user, group: a.group, mode: a.file_mode };
  for (const file of files) {
    const dest = join(a.name, relative(prefix, file));
    for (let d = dirname(dest); d.startsWith(a.name) && !wanted.has(d); d = dirname(d)) wanted.add(d);
    wanted.add(dest);
    const raw = await fetchSource(ctx, [file]);
    const data = a.template
      ? Buffer.from(await ctx.render(raw.toString('utf8'), { ...a.defaults, ...a.context }))
      : raw;
    const before = await readIfExists(dest);
    const own = await planOwnership(before === undefined ? undefined : dest, fileOwn, ctx.test);
    const fileChanges = { ...(before?.equals(data) ? {} : { diff: contentDiff(dest, before, data) }), ...own.changes };
    if (Object.keys(fileChanges).length === 0) continue;
    changes[dest] = fileChanges;
    writes.push(async () => {
      await mkdir(dirname(dest), { recursive: true, mode: a.dir_mode ?? 0o755 });
      if (!before?.equals(data)) await writeAtomic(dest, data, a.file_mode ?? 0o644);
      await applyOwnership(dest, await planOwnership(dest, fileOwn), fileOwn);
    });
  }
  const destFiles = new Set(files.map((f) => join(a.name, relative(prefix, f))));
  for (const dir of [...wanted].filter((p) => !destFiles.has(p))) {
    const own = await planOwnership((await lstat(dir).catch(() => undefined)) ? dir : undefined, dirOwn, ctx.test);
    if (Object.keys(own.changes).length > 0 && (await lstat(dir).catch(() => undefined))) changes[dir] = own.changes;
  }
  const removed = a.clean && st ? await extraEntries(a.name, wanted) : [];
  if (removed.length > 0) changes.removed = removed;

  if (Object.keys(changes).length === 0)
    return stateResult(a.name, { comment: `The directory ${a.name} is in the correct state` });
  if (ctx.test)
    return stateResult(a.name, { result: null, comment: `The directory ${a.name} is set to be changed`, changes });
  await mkdir(a.name, { recursive: true, mode: a.dir_mode ?? 0o755 });
  for (const write of writes) await write();
  for (const dir of [...wanted].sort()) {
    const s = await lstat(dir).catch(() => undefined);
    if (s?.isDirectory()) await applyOwnership(dir, await planOwnership(dir, dirOwn), dirOwn);
  }
  for (const path of removed) await rm(path, { recursive: true, force: true });
  return stateResult(a.name, { comment: `Recursively updated ${a.name}`, changes });
}

/** Paths under `dir` that are not wanted, outermost first (removing a directory removes its contents). */
async function extraEntries(dir: string, wanted: ReadonlySet<string>): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (!wanted.has(path)) out.push(path);
    else if (entry.isDirectory()) out.push(...(await extraEntries(path, wanted)));
  }
  return out.sort();
}
