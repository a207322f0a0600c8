import { createHash, randomBytes } from 'node:crypto';
import { chownSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { FileNotFoundError } from '../errors.js';
import type { StateContext } from './types.js';

/** Largest file, in bytes, that a state shows as a diff; larger ones get a one-line note (as Salt's `show_changes` size guard). */
const DIFF_MAX_BYTES = 1024 * 1024;

/** A file's bytes, or undefined when it does not exist. Other errors propagate. */
export async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    // Synchronous, as the stats of path-stat.ts: a state's file is small and local.
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Fetches the first source that exists on the master (Salt tries a list in order) and returns
 * its bytes. Rejects with ERR_MINION_FILE_NOT_FOUND naming every source when none does.
 */
export async function fetchSource(
  ctx: Pick<StateContext, 'files' | 'cacheDir'>,
  sources: readonly string[],
): Promise<Buffer> {
  const dir = await mkdtemp(join(await ensureDir(join(ctx.cacheDir, 'states')), 'src-'));
  try {
    for (const source of sources) {
      const dest = join(dir, 'file');
      try {
        await ctx.files.getFile(source, dest);
      } catch (err) {
        if (err instanceof FileNotFoundError) continue;
        throw err;
      }
      return await readFile(dest);
    }
    throw new FileNotFoundError(sources.map((s) => `brine://${s}`).join(', '));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Salt's `changes.diff` for a file going from `before` to `after`: "New file" when it is new, a
 * unified diff for text, and a note for binary or very large files.
 */
export function contentDiff(path: string, before: Buffer | undefined, after: Buffer): string {
  if (before === undefined) return 'New file';
  if (isBinary(before) || isBinary(after)) return 'Replace binary file';
  if (before.length > DIFF_MAX_BYTES || after.length > DIFF_MAX_BYTES) return 'Replace text file (too large to diff)';
  const patch = createTwoFilesPatch(path, path, before.toString('utf8'), after.toString('utf8'));
  // Drop jsdiff's "Index:" and "====" header lines; Salt's diff starts at "---".
  return patch.slice(patch.indexOf('---'));
}

/** The hex digest of bytes with a Node hash algorithm name (`sha256`, `md5`, ...). */
export function digestOf(data: Buffer, algorithm: string): string {
  return createHash(algorithm).update(data).digest('hex');
}

/**
 * Writes a file atomically: a temp file in the same directory, then rename, so a reader never
 * sees half a file. Keeps the old file's owner and mode when there was one, else uses `newMode`.
 * When `link` is a symlink, its target is written and the link kept.
 */
export async function writeAtomic(link: string, data: Buffer | string, newMode = 0o644): Promise<void> {
  // A symlink stays a symlink: write its target, as Salt's follow_symlinks (default) does.
  // Synchronous calls, as in path-stat.ts: five thread hand-offs per file were most of its cost.
  let path = link;
  try {
    path = realpathSync(link);
  } catch {
    path = link;
  }
  let old: { mode: number; uid: number; gid: number } | undefined;
  try {
    old = statSync(path);
  } catch {
    old = undefined;
  }
  const tmp = join(dirname(path), `.${basename(path)}.brine-${randomBytes(6).toString('hex')}`);
  try {
    writeFileSync(tmp, data, { mode: old ? old.mode & 0o7777 : newMode, flag: 'wx' });
    if (old) chownSync(tmp, old.uid, old.gid);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Copies a file about to be replaced into the minion's backup directory, as Salt's
 * `backup: minion` does (`<cachedir>/file_backup/<path>_<timestamp>`). Returns the copy's path.
 */
export async function backupFile(cacheDir: string, path: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dest = join(cacheDir, 'file_backup', `${path}_${stamp}`);
  await ensureDir(dirname(dest));
  await copyFile(path, dest);
  return dest;
}

async function ensureDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function isBinary(data: Buffer): boolean {
  return data.subarray(0, 8192).includes(0);
}
