import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { FileNotFoundError, PathRefusedError } from '../errors.js';
import type { MasterFiles } from '../modules/types.js';

/**
 * A file server over a local directory, for `brine-call --local --file-root DIR` (Salt's
 * `file_client: local`): `brine://x` and `salt://x` are `DIR/x`. Paths that leave the root
 * (`..`, absolute, a link out of it) are refused, as the master's file server refuses them.
 */
export function localFiles(root: string): MasterFiles {
  const base = resolve(root);
  const inside = async (path: string): Promise<string> => {
    const clean = path.replace(/^(brine|salt):\/\//, '').replace(/^\/+/, '');
    if (clean.includes('\0') || clean.split('/').includes('..'))
      throw new PathRefusedError(path, 'leaves the file root');
    let real: string;
    try {
      real = await realpath(join(base, clean));
    } catch {
      throw new FileNotFoundError(`brine://${clean}`);
    }
    const realBase = await realpath(base);
    const back = relative(realBase, real);
    if (back === '..' || back.startsWith(`..${sep}`)) throw new PathRefusedError(path, 'leaves the file root');
    return real;
  };
  return {
    getFile: async (path, dest) => {
      const src = await inside(path);
      if (!(await stat(src)).isFile()) throw new FileNotFoundError(`brine://${path}`);
      await mkdir(dirname(dest), { recursive: true });
      await copyFile(src, dest);
      const data = await readFile(dest);
      return { sha256: createHash('sha256').update(data).digest('hex'), size: data.byteLength };
    },
    list: async (prefix) => {
      let start: string;
      try {
        start = await inside(prefix);
      } catch {
        return [];
      }
      const out: string[] = [];
      const realBase = await realpath(base);
      const walk = async (dir: string): Promise<void> => {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          const full = join(dir, entry.name);
          if (entry.isDirectory()) await walk(full);
          else if (entry.isFile()) out.push(relative(realBase, full).split(sep).join('/'));
        }
      };
      if ((await stat(start)).isDirectory()) await walk(start);
      else out.push(relative(realBase, start).split(sep).join('/'));
      return out.sort();
    },
  };
}
