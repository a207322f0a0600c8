import { NO_MASTER_MINE, NO_MASTER_PILLAR } from './connection/pillar-client.js';
import type { ProgressStreamValue } from '@brine/protocol';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { MinionError, MinionErrorCode } from './errors.js';
import { ensurePrivateDir } from './private-dir.js';
import { createGrainsAccess } from './grains/grains-access.js';
import { ExtendManager } from './extend/extend-manager.js';
import { WorkerPool } from './extend/worker-pool.js';
import { createRegistry, prepareCall } from './modules/registry.js';
import { createStateRegistry } from './states/registry.js';
import { localFileReader, localPillar } from './state-run/local-roots.js';
import { localFiles } from './state-run/local-files.js';
import { topMatcher } from './state-run/run-state.js';
import type { MasterFiles } from './modules/types.js';

/** A function's result as `brine-call --local` prints it. */
export interface LocalResult {
  id: string;
  ret: unknown;
  retcode: number;
  success: boolean;
  durationMs: number;
}

const noMaster: MasterFiles = {
  getFile: async () => {
    throw new MinionError(MinionErrorCode.noMaster, 'brine-call --local has no master to fetch brine:// files from');
  },
  list: async () => {
    throw new MinionError(MinionErrorCode.noMaster, 'brine-call --local has no master to list brine:// files from');
  },
};

/** Where and how a local call runs. */
export interface LocalCallSetup {
  id: string;
  stateDir: string;
  grains: Record<string, unknown>;
  timeoutMs: number;
  log: Logger;
  /** The file root that `brine://`/`salt://` and SLS names read from (Salt's `--file-root`). */
  fileRoot?: string | undefined;
  /** The pillar root (Salt's `--pillar-root`); no pillar when absent. */
  pillarRoot?: string | undefined;
  /**
   * @deprecated Ignored: installed extensions are imported only in their own worker thread,
   * where `import()` works whatever compiled this code (issue #21). Kept for the CLI's callers.
   */
  importModule?: ((url: string) => Promise<unknown>) | undefined;
}

/**
 * Runs one function on this host without a master (`brine-call --local`): the same registry,
 * argument checks and error-to-result mapping as a job, with Ctrl-C as the cancel signal.
 */
export async function callLocal(
  options: LocalCallSetup,
  fun: string,
  args: unknown[],
  kwargs: Record<string, unknown>,
  emit: (stream: ProgressStreamValue, data: string) => void,
): Promise<LocalResult> {
  const started = Date.now();
  const cacheDir = join(options.stateDir, 'cache');
  ensurePrivateDir(cacheDir);
  // eslint-disable-next-line prefer-const
  let extend: ExtendManager | undefined;
  const grains = await createGrainsAccess({
    id: options.id,
    configured: options.grains,
    file: join(options.stateDir, 'grains.json'),
    onChange: () => {},
    custom: async (core) => (extend ? extend.customGrains(core) : {}),
  });
  const { fileRoot, pillarRoot } = options;
  const registry = createRegistry({
    state: {
      ...(fileRoot === undefined ? {} : { readFile: () => localFileReader(fileRoot) }),
      ...(pillarRoot === undefined
        ? {}
        : { pillar: () => localPillar(pillarRoot, grains.all(), topMatcher({ grains })) }),
      opts: { file_client: 'local' },
    },
  });
  // The extensions the daemon synced load here too, as salt-call --local uses the synced extmods.
  extend = new ExtendManager({
    registry,
    stateRegistry: createStateRegistry(),
    sync: {
      files: { listExtend: async () => undefined, getFile: noMaster.getFile },
      masterPub: () => undefined,
      minionId: options.id,
      dir: join(options.stateDir, 'extend'),
      now: Date.now,
    },
    grains,
    workers: new WorkerPool({ log: options.log }),
    log: options.log,
  });
  await extend.loadInstalled();
  const call = prepareCall(registry, fun, args, kwargs);
  const done = (ret: unknown, retcode: number, success: boolean): LocalResult => ({
    id: options.id,
    ret,
    retcode,
    success,
    durationMs: Date.now() - started,
  });
  if (!call.ok) return done(call.error, 254, false);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort('timed_out'), options.timeoutMs);
  process.once('SIGINT', () => controller.abort('cancelled'));
  try {
    const out = await call.fn.run(call.input, {
      jid: 'local',
      log: options.log,
      signal: controller.signal,
      timeoutMs: options.timeoutMs,
      grains,
      files: fileRoot === undefined ? noMaster : localFiles(fileRoot),
      pillar: NO_MASTER_PILLAR,
      mine: NO_MASTER_MINE,
      jobs: { running: () => [], kill: () => false },
      registry,
      emit,
      maxOutputBytes: 10 * 1024 * 1024,
      cacheDir,
    });
    const retcode = out.retcode ?? 0;
    return done(out.ret, retcode, out.success ?? retcode === 0);
  } catch (err) {
    const wire =
      err instanceof MinionError ? err.toWire() : { code: MinionErrorCode.function, message: (err as Error).message };
    return done(wire, 1, false);
  } finally {
    clearTimeout(timer);
    extend.close();
  }
}
