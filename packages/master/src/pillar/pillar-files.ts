import { readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

/** What a compile read, by absolute path: `mtimeMs:size`, or `-` for a file that was not there. */
export type FileStamps = Map<string, string>;

/**
 * Reads pillar files from the roots of each saltenv (`pillar_roots`: the first root holding the
 * path wins, as Salt's file server) and stamps every path it looked at, found or not, so a cached
 * pillar can tell whether any file it was built from has changed since ({@link stampsChanged}).
 */
export class PillarFiles {
  readonly #roots: Readonly<Record<string, readonly string[]>>;

  constructor(roots: Readonly<Record<string, readonly string[]>>) {
    this.#roots = roots;
  }

  /** The saltenvs with roots, `base` first, then in config order. */
  get envs(): string[] {
    const envs = Object.keys(this.#roots);
    return [...envs.filter((e) => e === 'base'), ...envs.filter((e) => e !== 'base')];
  }

  /**
   * A reader for one compile: `path` is root-relative and already normalized by the renderer
   * (no `..`); every lookup lands in `stamps`.
   */
  reader(stamps: FileStamps): (saltenv: string, path: string) => Promise<string | undefined> {
    return async (saltenv, path) => {
      for (const root of this.#roots[saltenv] ?? []) {
        const file = inside(root, path);
        if (file === undefined) continue;
        const found = await readStamped(file, stamps);
        if (found !== undefined) return found;
      }
      return undefined;
    };
  }
}

/** Reads a file and records its stamp; `undefined` (stamped `-`) when it does not exist. */
export async function readStamped(file: string, stamps: FileStamps): Promise<string | undefined> {
  try {
    const [info, text] = await Promise.all([stat(file), readFile(file, 'utf8')]);
    stamps.set(file, stampOf(info));
    return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR')
      throw err;
    stamps.set(file, '-');
    return undefined;
  }
}

/** Records the stamp of a path (a directory, say) without reading it; `-` when it is not there. */
export async function stampPath(path: string, stamps: FileStamps): Promise<void> {
  try {
    stamps.set(path, stampOf(await stat(path)));
  } catch {
    stamps.set(path, '-');
  }
}

/** Whether any stamped path differs now (changed, created or removed). */
export async function stampsChanged(stamps: FileStamps): Promise<boolean> {
  for (const [file, was] of stamps) {
    let now = '-';
    try {
      now = stampOf(await stat(file));
    } catch {
      // gone
    }
    if (now !== was) return true;
  }
  return false;
}

function stampOf(info: { mtimeMs: number; size: number; isDirectory(): boolean }): string {
  return `${info.mtimeMs}:${info.size}${info.isDirectory() ? '/' : ''}`;
}

function inside(root: string, path: string): string | undefined {
  const base = resolve(root);
  const file = resolve(join(base, path));
  return file.startsWith(base + sep) ? file : undefined;
}
