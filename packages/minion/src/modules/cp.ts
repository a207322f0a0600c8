import { mkdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { PathRefusedError } from '../errors.js';
import { withFileErrors } from './fs-errors.js';
import { absolutePath, brineUrl } from './schemas.js';
import { defineFunction, type ModuleFunction } from './types.js';

const getFile = defineFunction({
  name: 'cp.get_file',
  doc: `Copies a file from the master (brine://path) to \`dest\` and returns the path written. A dest
that is a directory or ends in "/" receives the file under its own name; without dest the file goes
to the minion's cache. makedirs=true creates missing parent directories.

CLI Example:

    brine '*' cp.get_file brine://configs/motd /etc/motd`,
  params: ['source', 'dest'],
  schema: z.object({ source: brineUrl, dest: absolutePath.optional(), makedirs: z.boolean().default(false) }),
  run: async ({ source, dest, makedirs }, ctx) => {
    const target =
      dest === undefined ? contained(join(ctx.cacheDir, 'files'), source) : await intoDirectory(dest, basename(source));
    if (makedirs || dest === undefined) await withFileErrors(target, () => mkdir(dirname(target), { recursive: true }));
    await ctx.files.getFile(source, target);
    return { ret: target };
  },
});

const getDir = defineFunction({
  name: 'cp.get_dir',
  doc: `Copies a directory from the master, recursively, into \`dest\` (creating it), as Salt does:
brine://web/static with dest /srv gives /srv/static/... Returns the paths written.

CLI Example:

    brine '*' cp.get_dir brine://web/static /srv`,
  params: ['source', 'dest'],
  schema: z.object({ source: brineUrl, dest: absolutePath }),
  run: async ({ source, dest }, ctx) => {
    const dir = source.replace(/\/+$/, '');
    const prefix = dir === '' ? '' : `${dir}/`;
    const root = join(dest, basename(dir));
    const written: string[] = [];
    for (const entry of await ctx.files.list(dir)) {
      const file = stripScheme(entry);
      if (!file.startsWith(prefix) || file === prefix) continue;
      const target = contained(root, file.slice(prefix.length));
      await withFileErrors(target, () => mkdir(dirname(target), { recursive: true }));
      await ctx.files.getFile(file, target);
      written.push(target);
    }
    return { ret: written };
  },
});

const listMaster = defineFunction({
  name: 'cp.list_master',
  doc: `Lists the files in the master's file roots, optionally under a prefix (with or without brine://).

CLI Example:

    brine '*' cp.list_master prefix=brine://scripts`,
  params: ['prefix'],
  schema: z.object({ prefix: z.string().max(4096).default('') }),
  run: async ({ prefix }, ctx) => ({ ret: await ctx.files.list(stripScheme(prefix)) }),
});

/** `root/rel`, refusing a `rel` (from the master) that would land outside `root`. */
function contained(root: string, rel: string): string {
  const target = resolve(root, rel);
  const back = relative(resolve(root), target);
  if (back === '' || back.startsWith(`..${sep}`) || back === '..' || rel.includes('\0')) {
    throw new PathRefusedError(rel, `resolves outside ${root}`);
  }
  return target;
}

async function intoDirectory(dest: string, name: string): Promise<string> {
  if (dest.endsWith('/')) return join(dest, name);
  try {
    return (await stat(dest)).isDirectory() ? join(dest, name) : dest;
  } catch {
    return dest;
  }
}

function stripScheme(path: string): string {
  return path.replace(/^brine:\/\//, '').replace(/^\/+/, '');
}

/** The `cp.*` functions: get_file, get_dir, list_master. */
export const cpFunctions: readonly ModuleFunction[] = [getFile, getDir, listMaster];
