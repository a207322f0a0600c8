import { mkdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { ErrorCode } from '@brine/protocol';
import type { FileReader } from '@brine/state';
import { MinionError, MinionErrorCode, PathRefusedError } from '../errors.js';
import type { MasterFiles } from '../modules/types.js';

/** The master's code for a path that is in none of its file roots (file-server.ts). */
const NOT_FOUND: ReadonlySet<string> = new Set([ErrorCode.FILE_NOT_FOUND, MinionErrorCode.fileNotFound]);

/**
 * The file-server path of a root-relative file in a saltenv: `base` is the file roots
 * themselves, any other saltenv `<env>/` inside them (the master's `file_roots` is one list,
 * not one per saltenv as Salt's).
 */
export function envPath(saltenv: string, path: string): string {
  const clean = path.replace(/^(brine|salt):\/\//, '').replace(/^\/+/, '');
  return saltenv === 'base' ? clean : `${saltenv}/${clean}`;
}

/**
 * The engine's {@link FileReader} over the master's file server: each file is fetched
 * (hash-checked by `files.getFile`, as `cp.get_file` is) into `<cacheDir>/files/<path>` and
 * read from there. A file that is in no file root reads as `undefined`; any other failure
 * (a dropped connection, a hash mismatch) rejects, and the engine reports it with the file.
 */
export function masterFileReader(files: MasterFiles, cacheDir: string): FileReader {
  const root = resolve(cacheDir, 'files');
  return async (saltenv, path) => {
    const source = envPath(saltenv, path);
    const dest = resolve(root, source);
    const back = relative(root, dest);
    if (back === '' || back === '..' || back.startsWith(`..${sep}`) || source.includes('\0')) {
      throw new PathRefusedError(path, `resolves outside ${root}`);
    }
    await mkdir(join(dest, '..'), { recursive: true });
    try {
      await files.getFile(source, dest);
    } catch (err) {
      if (err instanceof MinionError && NOT_FOUND.has(err.code)) return undefined;
      throw err;
    }
    return readFile(dest, 'utf8');
  };
}
