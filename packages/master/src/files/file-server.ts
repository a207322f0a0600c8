import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, realpathSync, statSync, readdirSync, lstatSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

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

  /** The regular files under `prefix` in every root, relative to their root, sorted; at most 10,000. */
  list(prefix: string): string[] {
    const clean = prefix.replace(/^\/+|\/+$/g, '');
    if (!safeRelative(clean || '.')) return [];
    const out = new Set<string>();
    for (const root of this.#roots) {
      const start = clean ? resolve(root, clean) : root;
      if (!inside(root, start)) continue;
      walk(root, start, out);
    }
    return [...out].sort().slice(0, 10_000);
  }

  #resolve(path: string): { ok: true; path: string } | { ok: false; code: string; message: string } {
    if (!safeRelative(path))
      return { ok: false, code: 'ERR_FILE_PATH_REFUSED', message: 'path must be relative, without .. or NUL' };
    for (const root of this.#roots) {
      let real: string;
      try {
        real = realpathSync(resolve(root, path));
      } catch {
        continue;
      }
      if (!inside(root, real))
        return { ok: false, code: 'ERR_FILE_PATH_REFUSED', message: 'path leaves the file roots' };
      if (statSync(real).isFile()) return { ok: true, path: real };
    }
    return { ok: false, code: 'ERR_FILE_NOT_FOUND', message: `no file ${path} in the file roots` };
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

function walk(root: string, dir: string, out: Set<string>): void {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return;
  }
  if (!inside(root, real) || out.size >= 10_000) return;
  let st;
  try {
    st = lstatSync(real);
  } catch {
    return;
  }
  if (st.isFile()) {
    out.add(relative(root, dir).split(sep).join('/'));
    return;
  }
  if (!st.isDirectory()) return;
  for (const name of readdirSync(real)) {
    const child = join(dir, name);
    let cst;
    try {
      cst = statSync(child);
    } catch {
      continue;
    }
    let creal: string;
    try {
      creal = realpathSync(child);
    } catch {
      continue;
    }
    if (!inside(root, creal)) continue;
    if (cst.isFile()) out.add(relative(root, child).split(sep).join('/'));
    else if (cst.isDirectory()) walk(root, child, out);
  }
}
