import type { ProgressStreamValue } from '@brine/protocol';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { pino } from 'pino';
import { FileNotFoundError, MinionError } from '../errors.js';
import { createRegistry, prepareCall } from './registry.js';
import type { Grains, MasterFiles, ModuleContext, ModuleFunction, ModuleResult, RunningJob } from './types.js';

/** Options for {@link createTestContext}; every field has a test-friendly default. */
export interface TestContextOptions {
  /** Initial grains. @default { id: 'test-minion', os: 'Debian' } */
  grains?: Grains;
  /** @default '20250101000000000001' */
  jid?: string;
  /** @default 30000 */
  timeoutMs?: number;
  /** @default 1048576 */
  maxOutputBytes?: number;
  /** What `ctx.jobs.running()` reports. @default [] */
  jobs?: RunningJob[];
  /** @default createRegistry() */
  registry?: ReadonlyMap<string, ModuleFunction>;
  /** What `ctx.pillar` holds. @default {} */
  pillar?: Record<string, unknown>;
  /** When set, `ctx.pillar` rejects with it (a pillar that did not compile). */
  pillarError?: MinionError;
  /** `mine_functions` of the minion config. @default {} */
  mineFunctions?: Record<string, unknown>;
  /** What `ctx.mine.get` answers. @default {} */
  mineGet?: Record<string, unknown>;
}

/** A module context for tests, with handles to look inside it. */
export interface TestContext {
  ctx: ModuleContext;
  /** The fake master's file roots: put files here for `brine://` paths. */
  fileRoot: string;
  cacheDir: string;
  /** The live grains store behind `ctx.grains`. */
  grains: Grains;
  /** Everything passed to `ctx.emit`, in order. */
  emitted: { stream: ProgressStreamValue; data: string }[];
  /** Jids passed to `ctx.jobs.kill`. */
  killed: string[];
  /** How many times `ctx.grains.refresh()` was called. */
  refreshes: () => number;
  /** How many times `ctx.pillar.refresh()` was called. */
  pillarRefreshes: () => number;
  /** Every mine request, in order. */
  mine: { op: string; [key: string]: unknown }[];
  /** Aborts `ctx.signal`, as a cancel or job timeout would. */
  abort(): void;
  /** Removes the temporary directories. */
  cleanup(): Promise<void>;
}

/**
 * Makes a {@link ModuleContext} for tests: a temp cache dir, in-memory grains, a fake master file
 * server backed by a temp dir (`fileRoot`), in-memory jobs, the real registry and a silent logger.
 * Call `cleanup()` when done.
 */
export async function createTestContext(options: TestContextOptions = {}): Promise<TestContext> {
  const base = await mkdtemp(join(tmpdir(), 'brine-minion-test-'));
  const fileRoot = join(base, 'roots');
  const cacheDir = join(base, 'cache');
  await mkdir(fileRoot);
  await mkdir(cacheDir);
  const grains: Grains = { ...(options.grains ?? { id: 'test-minion', os: 'Debian' }) };
  const emitted: TestContext['emitted'] = [];
  const killed: string[] = [];
  const jobs = options.jobs ?? [];
  let refreshes = 0;
  let pillarRefreshes = 0;
  const pillar: Record<string, unknown> = options.pillar ?? {};
  const mine: TestContext['mine'] = [];
  const controller = new AbortController();
  const ctx: ModuleContext = {
    jid: options.jid ?? '20250101000000000001',
    log: pino({ level: 'silent' }),
    signal: controller.signal,
    timeoutMs: options.timeoutMs ?? 30_000,
    grains: {
      all: () => ({ ...grains }),
      setValue: async (key, value) => {
        grains[key] = value;
      },
      refresh: async () => {
        refreshes += 1;
        return { ...grains };
      },
    },
    files: fakeMasterFiles(fileRoot),
    pillar: {
      items: async () => {
        if (options.pillarError) throw options.pillarError;
        return pillar;
      },
      refresh: async () => {
        pillarRefreshes += 1;
        if (options.pillarError) throw options.pillarError;
        return pillar;
      },
    },
    mine: {
      update: async (data, clear) => {
        mine.push({ op: 'update', data, clear });
      },
      delete: async (fun) => {
        mine.push({ op: 'delete', fun });
        return true;
      },
      get: async (tgt, fun, tgtType) => {
        mine.push({ op: 'get', tgt, fun, tgtType });
        return options.mineGet ?? {};
      },
      configured: () => options.mineFunctions ?? {},
    },
    jobs: {
      running: () => jobs,
      kill: (jid) => {
        killed.push(jid);
        return jobs.some((j) => j.jid === jid);
      },
    },
    registry: options.registry ?? createRegistry(),
    emit: (stream, data) => emitted.push({ stream, data }),
    maxOutputBytes: options.maxOutputBytes ?? 1024 * 1024,
    cacheDir,
  };
  return {
    ctx,
    fileRoot,
    cacheDir,
    grains,
    emitted,
    killed,
    refreshes: () => refreshes,
    pillarRefreshes: () => pillarRefreshes,
    mine,
    abort: () => controller.abort(),
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
}

/**
 * Prepares and runs a function as the executor does, minus its error mapping: a call that
 * `prepareCall` refuses rejects with a {@link MinionError} carrying its code.
 */
export async function callFunction(
  ctx: ModuleContext,
  fun: string,
  args: readonly unknown[] = [],
  kwargs: Readonly<Record<string, unknown>> = {},
): Promise<ModuleResult> {
  const call = prepareCall(ctx.registry, fun, args, kwargs);
  if (!call.ok) throw new MinionError(call.error.code, call.error.message);
  return call.fn.run(call.input, ctx);
}

/** A master file server over a local directory; paths are relative to it, without `brine://`. */
function fakeMasterFiles(root: string): MasterFiles {
  const inside = (path: string): string => {
    const full = resolve(root, path);
    if (!full.startsWith(root + sep)) throw new FileNotFoundError(`brine://${path}`);
    return full;
  };
  return {
    async getFile(path, dest) {
      const src = inside(path);
      try {
        if (!(await stat(src)).isFile()) throw new FileNotFoundError(`brine://${path}`);
      } catch {
        throw new FileNotFoundError(`brine://${path}`);
      }
      await copyFile(src, dest);
      const data = await readFile(dest);
      return { sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
    },
    async list(prefix) {
      const dir = prefix.replace(/\/+$/, '');
      const names = await readdir(root, { recursive: true });
      const files: string[] = [];
      for (const name of names) {
        const path = relative(root, join(root, name)).split(sep).join('/');
        if (dir !== '' && path !== dir && !path.startsWith(`${dir}/`)) continue;
        if ((await stat(join(root, name))).isFile()) files.push(path);
      }
      return files.sort();
    },
  };
}
