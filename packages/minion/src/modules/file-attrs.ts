import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { chmod, chown, lstat, mkdir, readlink, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { FileTypeError } from '../errors.js';
import { withFileErrors } from './fs-errors.js';
import { absolutePath, formatMode, octalMode, principal } from './schemas.js';
import { defineFunction, type ModuleFunction } from './types.js';
import { namesOf, resolveGroup, resolveUser } from './users.js';

const stats = defineFunction({
  name: 'file.stats',
  doc: `Returns a path's type (file, dir, link, char, block, pipe, socket), size, mode (octal string),
uid, gid, user and group names, inode, and atime/mtime/ctime in epoch seconds. With
follow_symlinks=false a symlink is described itself, with its target.

CLI Example:

    brine '*' file.stats /etc/passwd`,
  params: ['path'],
  schema: z.object({ path: absolutePath, follow_symlinks: z.boolean().default(true) }),
  run: ({ path, follow_symlinks }) =>
    withFileErrors(path, async () => {
      const st = follow_symlinks ? await stat(path) : await lstat(path);
      const type = typeOf(st);
      return {
        ret: {
          path,
          type,
          size: st.size,
          mode: formatMode(st.mode),
          uid: st.uid,
          gid: st.gid,
          ...(await namesOf(st.uid, st.gid)),
          inode: st.ino,
          atime: st.atimeMs / 1000,
          mtime: st.mtimeMs / 1000,
          ctime: st.ctimeMs / 1000,
          ...(type === 'link' ? { target: await readlink(path) } : {}),
        },
      };
    }),
});

const hash = defineFunction({
  name: 'file.hash',
  doc: `Returns the hex digest of a file, read as a stream. algorithm: md5, sha1, sha224, sha256
(default), sha384 or sha512.

CLI Example:

    brine '*' file.hash /etc/passwd algorithm=sha512`,
  params: ['path'],
  schema: z.object({
    path: absolutePath,
    algorithm: z.enum(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']).default('sha256'),
  }),
  run: ({ path, algorithm }, ctx) =>
    withFileErrors(path, async () => {
      const digest = createHash(algorithm);
      await pipeline(createReadStream(path), digest, { signal: ctx.signal });
      return { ret: digest.digest('hex') };
    }),
});

const mkdirFn = defineFunction({
  name: 'file.mkdir',
  doc: `Creates a directory and any missing parents; \`mode\` (octal) is set on the directory itself
regardless of umask. Returns true, also when it already existed.

CLI Example:

    brine '*' file.mkdir /srv/app/releases mode=0750`,
  params: ['path'],
  schema: z.object({ path: absolutePath, mode: octalMode.optional() }),
  run: ({ path, mode }) =>
    withFileErrors(path, async () => {
      try {
        await mkdir(path, { recursive: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST')
          throw new FileTypeError(path, 'exists and is not a directory');
        throw err;
      }
      if (mode !== undefined) await chmod(path, mode);
      return { ret: true };
    }),
});

const chownFn = defineFunction({
  name: 'file.chown',
  doc: `Changes the owner and/or group of a path (names or numeric ids; at least one). Returns true.

CLI Example:

    brine '*' file.chown /srv/app www-data www-data`,
  params: ['path', 'user', 'group'],
  schema: z
    .object({ path: absolutePath, user: principal.optional(), group: principal.optional() })
    .refine((a) => a.user !== undefined || a.group !== undefined, { message: 'give a user, a group or both' }),
  run: async ({ path, user, group }) => {
    // -1 leaves that id unchanged (chown(2)).
    const uid = user === undefined ? -1 : (await resolveUser(user)).uid;
    const gid = group === undefined ? -1 : await resolveGroup(group);
    await withFileErrors(path, () => chown(path, uid, gid));
    return { ret: true };
  },
});

const chmodFn = defineFunction({
  name: 'file.chmod',
  doc: `Sets the permission bits of a path from an octal string and returns the new mode.

CLI Example:

    brine '*' file.chmod /etc/app.conf 0640`,
  params: ['path', 'mode'],
  schema: z.object({ path: absolutePath, mode: octalMode }),
  run: ({ path, mode }) =>
    withFileErrors(path, async () => {
      await chmod(path, mode);
      return { ret: formatMode((await stat(path)).mode) };
    }),
});

function typeOf(st: Stats): string {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'link';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'pipe';
  return 'socket';
}

/** The attribute `file.*` functions: stats, hash, mkdir, chown, chmod. */
export const fileAttrFunctions: readonly ModuleFunction[] = [stats, hash, mkdirFn, chownFn, chmodFn];
