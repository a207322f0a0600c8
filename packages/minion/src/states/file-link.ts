import {
  copyFile,
  lchown,
  lstat,
  mkdir,
  open,
  readlink,
  rm,
  stat,
  symlink as mkSymlink,
  utimes,
} from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { absolutePath, decimal, principal } from '../modules/schemas.js';
import { resolveGroup, resolveUser } from '../modules/users.js';
import { applyOwnership, ownershipOf, parentMissing, planOwnership } from './file-ownership.js';
import { readIfExists } from './file-content.js';
import { ownershipArgs, statePath } from './schemas.js';
import { failed, guarded, stateResult } from './result.js';
import { defineState } from './types.js';

/** `file.symlink`: a symbolic link pointing at `target`. */
export const symlink = defineState({
  name: 'file.symlink',
  doc: `Makes sure \`name\` is a symlink to \`target\`. A link pointing elsewhere is repointed; a file
or directory in its place is replaced only with \`force: true\`. \`makedirs\` creates parents;
\`user\`/\`group\` own the link itself. Changes: {new: name} or {change: name}.

SLS Example:

    /usr/local/bin/app:
      file.symlink:
        - target: /opt/app/current/bin/app`,
  args: z.object({
    name: statePath,
    target: z.string().min(1),
    force: z.boolean().default(false),
    makedirs: z.boolean().default(false),
    user: principal.optional(),
    group: principal.optional(),
  }),
  run: (a, ctx) =>
    guarded(a.name, async () => {
      const st = await lstat(a.name).catch(() => undefined);
      const current = st?.isSymbolicLink() ? await readlink(a.name) : undefined;
      if (st && !st.isSymbolicLink() && !a.force) {
        return failed(a.name, `File exists where the symlink ${a.name} should be`);
      }
      if (!st && (await parentMissing(a.name, a.makedirs, ctx.test))) {
        return failed(a.name, `Directory ${dirname(a.name)} for symlink is not present`);
      }
      const uid = a.user === undefined ? -1 : (await resolveUser(a.user)).uid;
      const gid = a.group === undefined ? -1 : await resolveGroup(a.group);
      const ownerWrong = st !== undefined && ((uid !== -1 && st.uid !== uid) || (gid !== -1 && st.gid !== gid));
      if (current === a.target && !ownerWrong) {
        return stateResult(a.name, { comment: `The symlink ${a.name} is present` });
      }
      const changes: Record<string, unknown> =
        current === a.target ? { ownership: a.name } : st ? { change: a.name } : { new: a.name };
      if (ctx.test) {
        return stateResult(a.name, {
          result: null,
          comment: st
            ? `Link ${a.name} target is set to be changed to ${a.target}`
            : `Symlink ${a.name} to ${a.target} is set for creation`,
          changes,
        });
      }
      if (current !== a.target) {
        if (st) await rm(a.name, { recursive: true, force: true });
        if (a.makedirs) await mkdir(dirname(a.name), { recursive: true });
        await mkSymlink(a.target, a.name);
      }
      if (uid !== -1 || gid !== -1) await lchown(a.name, uid, gid);
      const comment = st
        ? `Set target of symlink ${a.name} -> ${a.target}`
        : `Created new symlink ${a.name} -> ${a.target}`;
      return stateResult(a.name, { comment, changes });
    }),
});

/** `file.touch`: a file that exists, optionally with given access and modification times. */
export const touch = defineState({
  name: 'file.touch',
  doc: `Creates a file when it is missing and sets its times to \`atime\`/\`mtime\` (epoch seconds)
when given. Unlike Salt, touching an existing file without times is not a change (so a second
run reports none), though its times are still updated. Changes: {new: name} or {touched: name}.

SLS Example:

    /var/lib/app/.initialised:
      file.touch:
        - makedirs: true`,
  args: z.object({
    name: statePath,
    atime: decimal.optional(),
    mtime: decimal.optional(),
    makedirs: z.boolean().default(false),
  }),
  run: (a, ctx) =>
    guarded(a.name, async () => {
      const st = await stat(a.name).catch(() => undefined);
      if (!st && (await parentMissing(a.name, a.makedirs, ctx.test))) {
        return failed(a.name, `Directory not present to touch file ${a.name}`);
      }
      const timesWrong =
        (a.atime !== undefined && Math.floor(st?.atimeMs ?? -1) !== Math.floor(a.atime * 1000)) ||
        (a.mtime !== undefined && Math.floor(st?.mtimeMs ?? -1) !== Math.floor(a.mtime * 1000));
      const changes: Record<string, unknown> = !st ? { new: a.name } : timesWrong ? { touched: a.name } : {};
      if (ctx.test) {
        const verb = st ? 'updated' : 'created';
        return stateResult(a.name, {
          result: st && !timesWrong ? true : null,
          comment: `File ${a.name} is set to be ${verb}`,
          changes,
        });
      }
      if (a.makedirs) await mkdir(dirname(a.name), { recursive: true });
      await (await open(a.name, 'a')).close();
      const now = Date.now() / 1000;
      await utimes(a.name, a.atime ?? now, a.mtime ?? now);
      return stateResult(a.name, {
        comment: st ? `Updated times on file ${a.name}` : `Created empty file ${a.name}`,
        changes,
      });
    }),
});

/** `file.copy`: a copy of a file that is already on the minion. */
export const copy = defineState({
  name: 'file.copy',
  doc: `Copies \`source\` (a path on the minion) to \`name\`. An existing \`name\` is kept unless
\`force: true\`, and then replaced only when its contents differ. \`makedirs\` creates parents;
\`user\`, \`group\`, \`mode\` apply to the copy. Changes: {<name>: <source>} and attributes.

SLS Example:

    /etc/app/app.conf:
      file.copy:
        - source: /etc/app/app.conf.dist`,
  args: z.object({
    name: statePath,
    source: absolutePath,
    force: z.boolean().default(false),
    makedirs: z.boolean().default(false),
    ...ownershipArgs,
  }),
  run: (a, ctx) =>
    guarded(a.name, async () => {
      const src = await readIfExists(a.source);
      if (src === undefined) return failed(a.name, `Source file "${a.source}" is not present`);
      const dest = await readIfExists(a.name);
      if (dest === undefined && (await parentMissing(a.name, a.makedirs, ctx.test))) {
        return failed(a.name, `The target directory ${dirname(a.name)} is not present`);
      }
      const copyNeeded = dest === undefined || (a.force && !dest.equals(src));
      const own = await planOwnership(dest === undefined ? undefined : a.name, ownershipOf(a), ctx.test);
      const changes: Record<string, unknown> = { ...(copyNeeded ? { [a.name]: a.source } : {}), ...own.changes };
      if (Object.keys(changes).length === 0) {
        const comment = dest?.equals(src)
          ? `The target file "${a.name}" is in the correct state`
          : `The target file "${a.name}" exists and will not be overwritten`;
        return stateResult(a.name, { comment });
      }
      if (ctx.test) {
        return stateResult(a.name, {
          result: null,
          comment: `File "${a.source}" is set to be copied to "${a.name}"`,
          changes,
        });
      }
      if (a.makedirs) await mkdir(dirname(a.name), { recursive: true });
      if (copyNeeded) await copyFile(a.source, a.name);
      await applyOwnership(a.name, await planOwnership(a.name, ownershipOf(a)), ownershipOf(a));
      return stateResult(a.name, {
        comment: copyNeeded ? `Copied "${a.source}" to "${a.name}"` : `File ${a.name} updated`,
        changes,
      });
    }),
});
