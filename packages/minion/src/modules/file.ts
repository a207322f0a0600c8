import { appendFile, lstat, open, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { FileTooLargeError, PathRefusedError } from '../errors.js';
import { fileAttrFunctions } from './file-attrs.js';
import { replace } from './file-replace.js';
import { withFileErrors } from './fs-errors.js';
import { absolutePath, decimal, octalMode } from './schemas.js';
import { defineFunction, type ModuleFunction } from './types.js';

const read = defineFunction({
  name: 'file.read',
  doc: `Returns the contents of a file as UTF-8 text. A file larger than the minion's output cap is
refused with ERR_MINION_FILE_TOO_LARGE.

CLI Example:

    brine '*' file.read /etc/hostname`,
  params: ['path'],
  schema: z.object({ path: absolutePath }),
  run: ({ path }, ctx) =>
    withFileErrors(path, async () => {
      const { size } = await stat(path);
      if (size > ctx.maxOutputBytes) throw new FileTooLargeError(path, size, ctx.maxOutputBytes);
      return { ret: await readFile(path, 'utf8') };
    }),
});

const write = defineFunction({
  name: 'file.write',
  doc: `Replaces the contents of a file (creating it, with \`mode\` when given) and returns {path, bytes}.

CLI Example:

    brine '*' file.write /etc/motd 'Authorised use only.' mode=0644`,
  params: ['path', 'contents'],
  schema: z.object({ path: absolutePath, contents: z.string(), mode: octalMode.optional() }),
  run: ({ path, contents, mode }) =>
    withFileErrors(path, async () => {
      await writeFile(path, contents, mode === undefined ? {} : { mode });
      return { ret: { path, bytes: Buffer.byteLength(contents) } };
    }),
});

const append = defineFunction({
  name: 'file.append',
  doc: `Appends text to a file as whole lines, as Salt does: a newline is added first if the file
does not end with one, and after the text if it lacks one. Creates the file. Returns {path, bytes}.

CLI Example:

    brine '*' file.append /etc/hosts.allow 'sshd: 10.0.0.0/8'`,
  params: ['path', 'contents'],
  schema: z.object({ path: absolutePath, contents: z.string() }),
  run: ({ path, contents }) =>
    withFileErrors(path, async () => {
      const lead = (await endsWithoutNewline(path)) ? '\n' : '';
      const text = lead + contents + (contents.endsWith('\n') ? '' : '\n');
      await appendFile(path, text);
      return { ret: { path, bytes: Buffer.byteLength(text) } };
    }),
});

const touch = defineFunction({
  name: 'file.touch',
  doc: `Creates a file if it is missing and sets its access and modification times (epoch seconds,
default now). Returns true.

CLI Example:

    brine '*' file.touch /var/run/maintenance mtime=1700000000`,
  params: ['path'],
  schema: z.object({ path: absolutePath, atime: decimal.optional(), mtime: decimal.optional() }),
  run: ({ path, atime, mtime }) =>
    withFileErrors(path, async () => {
      await (await open(path, 'a')).close();
      const now = Date.now() / 1000;
      await utimes(path, atime ?? now, mtime ?? now);
      return { ret: true };
    }),
});

const remove = defineFunction({
  name: 'file.remove',
  doc: `Removes a file, a symlink, or a directory with everything in it. Returns false when nothing
was there. Refuses "/".

CLI Example:

    brine '*' file.remove /tmp/build-cache`,
  params: ['path'],
  schema: z.object({ path: absolutePath }),
  run: ({ path }) =>
    withFileErrors(path, async () => {
      if (resolve(path) === '/') throw new PathRefusedError(path, 'refusing to remove the root directory');
      if (!(await exists(path, lstat))) return { ret: false };
      await rm(path, { recursive: true });
      return { ret: true };
    }),
});

const existsFn = defineFunction({
  name: 'file.exists',
  doc: `Returns whether a path exists (following symlinks). false is a successful answer, not a failure.

CLI Example:

    brine '*' file.exists /etc/debian_version`,
  params: ['path'],
  schema: z.object({ path: absolutePath }),
  run: ({ path }) => withFileErrors(path, async () => ({ ret: await exists(path, stat) })),
});

async function exists(path: string, probe: typeof stat | typeof lstat): Promise<boolean> {
  try {
    await probe(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
}

async function endsWithoutNewline(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
    return buffer[0] !== 0x0a;
  } finally {
    await handle.close();
  }
}

/** The `file.*` functions: read, write, append, touch, remove, exists, replace, and the attribute ones. */
export const fileFunctions: readonly ModuleFunction[] = [
  read,
  write,
  append,
  touch,
  remove,
  existsFn,
  replace,
  ...fileAttrFunctions,
];
