import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** How many cache files a directory keeps (one per bundle version; older ones are removed). */
const KEEP_FILES = 4;

/** A CommonJS bundle loaded by {@link loadWithCodeCache}. */
export interface CachedModule {
  exports: Record<string, unknown>;
  /** True when V8 took the compiled code from the cache. */
  cached: boolean;
  /**
   * Writes V8's code for the bundle, with every function compiled so far, when the cache had
   * none (or V8 refused it). Call it once the work is done, so the functions the work ran are
   * in it. Never throws: a cache that cannot be written is no cache.
   */
  save(): void;
}

/**
 * Where compiled code is kept: `$XDG_CACHE_HOME/brine` or `~/.cache/brine`, a directory of this
 * user's alone (created 0700). V8 runs the bytecode it reads from there, so a directory that
 * another user could write (or that is a symlink) means no cache.
 */
export function codeCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const dir = join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'brine');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/**
 * Loads a CommonJS bundle as `require` would, but compiles it through `vm.Script` with V8's
 * code cache from `cacheDir`: Node 20 caches no compiled code for ES modules, and compiling the
 * minion's 2 MB local-call bundle was 120-230 ms of each `brine-call --local` (issue #17).
 * The cache file is named by a hash of the bundle's text, Node's version and the CPU, since V8
 * itself checks only the text's length. Without `cacheDir` the bundle is compiled as usual.
 */
export function loadWithCodeCache(file: string, cacheDir: string | undefined): CachedModule {
  const source = readFileSync(file, 'utf8');
  const key = createHash('sha256').update(`${process.version}\0${process.arch}\0`).update(source).digest('hex');
  const cacheFile = cacheDir === undefined ? undefined : join(cacheDir, `${key.slice(0, 32)}.v8-code`);
  let cachedData: Buffer | undefined;
  try {
    if (cacheFile !== undefined) cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // The same wrapper as Node's CommonJS loader, so the bundle sees the usual five names.
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
  const script = new Script(wrapped, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const mod = { exports: {} as Record<string, unknown> };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  const fresh = cachedData === undefined || script.cachedDataRejected === true;
  return {
    exports: mod.exports,
    cached: !fresh,
    save() {
      if (!fresh || cacheFile === undefined) return;
      const tmp = `${cacheFile}.${randomBytes(6).toString('hex')}`;
      try {
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600, flag: 'wx' });
        renameSync(tmp, cacheFile);
        pruneCache(dirname(cacheFile), KEEP_FILES);
      } catch {
        rmSync(tmp, { force: true });
      }
    },
  };
}

/** Removes all but the `keep` newest `.v8-code` files of a cache directory (older bundle versions). */
function pruneCache(dir: string, keep: number): void {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.v8-code'))
    .map((f) => ({ path: join(dir, f), mtimeMs: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of files.slice(keep)) rmSync(old.path, { force: true });
}
