import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ExtendKind } from '@brine/protocol';
import type { Grains } from '../modules/types.js';
import { installedDir, installedEntries } from './extend-sync.js';

/** One installed extension file, loaded: its default export, or why it is not in use. */
export type Loaded<T> =
  | { name: string; status: 'loaded'; value: T; url: string }
  | { name: string; status: 'declined'; reason: string }
  | { name: string; status: 'failed'; error: string };

/** How a kind is loaded. */
export interface LoadOptions {
  check: ShapeCheck;
  grains: Grains;
  /** How long importing a file and its `virtual()` may take before it counts as failed. @default 10000 */
  loadTimeoutMs?: number;
  /**
   * Imports a file's module. @default `import(url)`; a swarm shares one by content
   * ({@link contentImporter}); `brine-call --local` runs this code compiled through vm.Script,
   * where `import()` needs a flag on Node 20, so it passes its own.
   */
  importModule?: ((url: string) => Promise<unknown>) | undefined;
}

/** Checks that a default export has the shape of its kind; returns the problem, or undefined. */
export type ShapeCheck = (value: unknown) => string | undefined;

/**
 * Imports every installed file of one kind. A file that throws while loading, or whose default
 * export has the wrong shape, is `failed` with its message; one whose `virtual()` declines is
 * `declined` with its reason; the others load. Never rejects.
 *
 * Node keeps every imported module for the life of the process, so each version is imported
 * under its own URL (`?v=<sha256>`): a sync that changes a file adds one module to memory.
 */
export async function loadInstalled<T>(dir: string, kind: ExtendKind, options: LoadOptions): Promise<Loaded<T>[]> {
  const at = installedDir(dir, kind);
  if (!at) return [];
  const out: Loaded<T>[] = [];
  for (const entry of installedEntries(dir, kind)) {
    out.push(await loadOne<T>(join(at, `${entry.name}.js`), entry, options));
  }
  return out;
}

/**
 * Loads one file under a deadline: a module whose top-level code or `virtual()` never settles
 * would otherwise stall every sync, and the minion's start before it ever connects.
 */
async function loadOne<T>(
  file: string,
  entry: { name: string; sha256: string },
  options: LoadOptions,
): Promise<Loaded<T>> {
  const ms = options.loadTimeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Loaded<T>>((resolve) => {
    timer = setTimeout(
      () => resolve({ name: entry.name, status: 'failed', error: `did not load within ${ms} ms` }),
      ms,
    );
  });
  try {
    return await Promise.race([loadNow<T>(file, entry, options), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function loadNow<T>(
  file: string,
  entry: { name: string; sha256: string },
  options: LoadOptions,
): Promise<Loaded<T>> {
  const name = entry.name;
  const url = `${pathToFileURL(file).href}?v=${entry.sha256}`;
  try {
    const mod = (await (options.importModule ?? importByUrl)(url)) as { default?: unknown };
    const problem = options.check(mod.default);
    if (problem) return { name, status: 'failed', error: problem };
    const value = mod.default as T & { virtual?: (ctx: { grains: Grains }) => unknown };
    if (typeof value.virtual === 'function') {
      const verdict = await value.virtual({ grains: options.grains });
      if (verdict !== true) {
        const reason = (verdict as { reason?: unknown } | undefined)?.reason;
        return { name, status: 'declined', reason: typeof reason === 'string' ? reason : 'virtual() declined' };
      }
    }
    return { name, status: 'loaded', value, url };
  } catch (err) {
    return { name, status: 'failed', error: (err as Error)?.message ?? String(err) };
  }
}

const importByUrl = (url: string): Promise<unknown> => import(url);

/**
 * The identity of an installed module's content: its file name and `?v=<sha256>`. Files with
 * the same key behave the same (the master compiles each into one self-contained module), so
 * the minions of a swarm, each with its own copy on disk, can share one import and one worker.
 */
export function contentKey(url: string): string {
  const u = new URL(url);
  return `${u.pathname.slice(u.pathname.lastIndexOf('/') + 1)}${u.search}`;
}

/**
 * An importer that imports each content once for the process ({@link contentKey}): a swarm of
 * ten thousand minions that synced the same module holds it once, not ten thousand times.
 */
export function contentImporter(): (url: string) => Promise<unknown> {
  const seen = new Map<string, Promise<unknown>>();
  return (url) => {
    const key = contentKey(url);
    let p = seen.get(key);
    if (!p) {
      p = import(url);
      // A failed import is tried again next time (its file may be fixed by the next sync).
      p.catch(() => seen.delete(key));
      seen.set(key, p);
    }
    return p;
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isSchema = (v: unknown) => isObject(v) && typeof v['safeParse'] === 'function';
const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function checkNamed(v: unknown, what: string): string | undefined {
  if (!isObject(v)) return `the default export is not a ${what} definition`;
  if (typeof v['name'] !== 'string' || !MODULE_NAME.test(v['name'])) return `${what}: name must be a plain identifier`;
  return undefined;
}

function checkFunctions(v: Record<string, unknown>, key: string, schemaKey: string): string | undefined {
  const fns = v[key];
  if (!isObject(fns)) return `${key} must be an object of functions`;
  for (const [fname, spec] of Object.entries(fns)) {
    if (!MODULE_NAME.test(fname)) return `${key}.${fname}: not a plain identifier`;
    if (!isObject(spec) || typeof spec['run'] !== 'function' || !isSchema(spec[schemaKey]))
      return `${key}.${fname}: needs run() and a zod ${schemaKey}`;
    if (typeof spec['doc'] !== 'string') return `${key}.${fname}: needs a doc string`;
  }
  return undefined;
}

/** Shape checks per kind: what `defineModule`, `defineStateModule`, `defineGrains` and `defineBeacon` produce. */
export const shapeChecks: Record<ExtendKind, ShapeCheck> = {
  modules: (v) => checkNamed(v, 'module') ?? checkFunctions(v as Record<string, unknown>, 'functions', 'schema'),
  states: (v) => checkNamed(v, 'state module') ?? checkFunctions(v as Record<string, unknown>, 'states', 'args'),
  grains: (v) =>
    checkNamed(v, 'grains') ??
    (typeof (v as Record<string, unknown>)['grains'] === 'function' ? undefined : 'grains() is missing'),
  beacons: (v) => {
    const named = checkNamed(v, 'beacon');
    if (named) return named;
    const b = v as Record<string, unknown>;
    return typeof b['check'] === 'function' && isSchema(b['config'])
      ? undefined
      : 'a beacon needs check() and a zod config';
  },
};
