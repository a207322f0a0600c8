import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, realpathSync, statSync, readdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { ErrorCode } from '@brine/protocol';

/** Largest chunk sent in one `file.chunk` frame. */
export const FILE_CHUNK_BYTES = 256 * 1024;

/** A chunk of a file, or why it cannot be served. */
export type ChunkResult =
  { ok: true; data: Buffer; size: number; sha256: string; eof: boolean } | { ok: false; code: string; message: string };

/**
 * Serves files from the master's file roots to minions (`brine://path`). A path is served only
 * when it resolves, after following every symlink, to a regular file inside a root: absolute
 * paths, `..` segments, NUL bytes and links that leave the root are refused. Names are taken
 * literally (no percent-decoding), so an encoded `..` is just a file name.
 */
export class FileServer {
  readonly #roots: string[];
  readonly #hashes = new Map<string, { mtimeMs: number; size: number; sha256: string }>();

  constructor(roots: readonly string[]) {
    this.#roots = roots.flatMap((r) => {
      try {
        return [realpathSync(r)];
      } catch {
        return [];
      }
    });
  }

  /** Reads the chunk at `offset` of `path`, with the whole file's SHA-256 for the final check. */
  read(path: string, offset: number): ChunkResult {
    const file = this.#resolve(path);
    if (!file.ok) return file;
    const st = statSync(file.path);
    const sha256 = this.#hash(file.path, st.mtimeMs, st.size);
    const length = Math.max(0, Math.min(FILE_CHUNK_BYTES, st.size - offset));
    const data = Buffer.alloc(length);
    if (length > 0) {
      const fd = openSync(file.path, 'r');
      try {
        readSync(fd, data, 0, length, offset);
      } finally {
        closeSync(fd);
      }
    }
    return { ok: true, data, size: st.size, sha256, eof: offset + length >= st.size };
  }

  /**
   * The regular files under `prefix` in every root, relative to their root, sorted; at most
   * {@link MAX_LISTED_FILES}, each real directory read once (see {@link walk}).
   */
  list(prefix: string): string[] {
    const clean = prefix.replace(/^\/+|\/+$/g, '');
    if (!safeRelative(clean || '.')) return [];
    const out = new Set<string>();
    for (const root of this.#roots) {
      const start = clean ? resolve(root, clean) : root;
      if (!inside(root, start)) continue;
      walk(root, start, out);
    }
    return [...out].sort().slice(0, MAX_LISTED_FILES);
  }

  #resolve(path: string): { ok: true; path: string } | { ok: false; code: string; message: string } {
    if (!safeRelative(path))
      return { ok: false, code: ErrorCode.FILE_PATH_REFUSED, message: 'path must be relative, without .. or NUL' };
    for (const root of this.#roots) {
      let real: string;
      try {
        real = realpathSync(resolve(root, path));
      } catch {
        continue;
      }
      if (!inside(root, real))
        return { ok: false, code: ErrorCode.FILE_PATH_REFUSED, message: 'path leaves the file roots' };
      if (statSync(real).isFile()) return { ok: true, path: real };
    }
    return { ok: false, code: ErrorCode.FILE_NOT_FOUND, message: `no file ${path} in the file roots` };
  }

  #hash(file: string, mtimeMs: number, size: number): string {
    const cached = this.#hashes.get(file);
    if (cached && cached.mtimeMs === mtimeMs && cached.size === size) return cached.sha256;
    const hash = createHash('sha256');
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(1024 * 1024);
      let n: number;
      while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) hash.update(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
    const sha256 = hash.digest('hex');
    if (this.#hashes.size > 1000) this.#hashes.clear();
    this.#hashes.set(file, { mtimeMs, size, sha256 });
    return sha256;
  }
}

function safeRelative(path: string): boolean {
  if (path.length === 0 || path.length > 4096 || path.includes('\0') || path.startsWith('/')) return false;
  return !path.split('/').some((seg) => seg === '..');
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root + sep);
}

/** Most paths one listing returns. */
export const MAX_LISTED_FILES = 10_000;
/** Most directory entries one listing looks at: a bound on the work, whatever the tree holds. */
export const MAX_EXAMINED_ENTRIES = 100_000;

/**
 * Adds the regular files under `start` to `out` as paths relative to `root`. Each real directory
 * is read once (issue 13 finding 3: two links `a -> .` and `b -> .` made the old walk visit
 * 2^depth paths, 10.9 s of frozen event loop with one file in the root and no end without one).
 * A directory is listed under its own path: links to directories are followed last, and only to a
 * directory no other path of this listing reached, so `current -> v2` adds nothing when `v2`
 * is listed too, and a link to a directory outside the prefix still lists it. Links that leave
 * the root are skipped. The work is bounded by {@link MAX_EXAMINED_ENTRIES}.
 */
function walk(root: string, start: string, out: Set<string>): void {
  let startReal: string;
  try {
    startReal = realpathSync(start);
  } catch {
    return;
  }
  if (!inside(root, startReal)) return;
  const name = (path: string) => relative(root, path).split(sep).join('/');
  let st;
  try {
    st = statSync(startReal);
  } catch {
    return;
  }
  if (st.isFile()) return void out.add(name(start));
  if (!st.isDirectory()) return;
  const visited = new Set<string>();
  // Directories to read, as [path listed, real path]; real directories first, links after.
  const dirs: [string, string][] = [[start, startReal]];
  const links: string[] = [];
  let examined = 0;
  for (;;) {
    let next = dirs.pop();
    while (!next && links.length > 0) {
      const link = links.shift()!;
      try {
        const real = realpathSync(link);
        if (inside(root, real) && !visited.has(real) && statSync(real).isDirectory()) next = [link, real];
      } catch {
        // A dangling link, or one that became one: nothing to list.
      }
    }
    if (!next) return;
    const [dir, real] = next;
    if (visited.has(real)) continue;
    visited.add(real);
    let entries;
    try {
      entries = readdirSync(real, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    } catch {
      continue;
    }
    const subdirs: [string, string][] = [];
    for (const entry of entries) {
      if (++examined > MAX_EXAMINED_ENTRIES || out.size >= MAX_LISTED_FILES) return;
      const child = join(dir, entry.name);
      if (entry.isFile()) out.add(name(child));
      else if (entry.isDirectory()) subdirs.push([child, join(real, entry.name)]);
      else if (entry.isSymbolicLink()) onLink(root, child, out, links, name);
    }
    // Popped from the end: reversed so that the walk goes in name order.
    dirs.push(...subdirs.reverse());
  }
}

/** A link found in a directory: a file inside the root is listed, a directory is queued. */
function onLink(root: string, link: string, out: Set<string>, links: string[], name: (path: string) => string): void {
  let st;
  try {
    st = statSync(link);
  } catch {
    return;
  }
  if (st.isDirectory()) return void links.push(link);
  if (!st.isFile()) return;
  try {
    if (inside(root, realpathSync(link))) out.add(name(link));
  } catch {
    // Gone since the stat: not listed.
  }
}
