import type { Logger } from 'pino';
import { MinionError, MinionErrorCode } from './errors.js';
import { ExtendManager, type ExtendManagerDeps } from './extend/extend-manager.js';
import { extendFunctions } from './extend/extend-functions.js';
import { WorkerPool } from './extend/worker-pool.js';
import type { ModuleFunction } from './modules/types.js';

/** What one virtual minion's extension manager is made from, once it is first needed. */
export type SwarmExtendDeps = Omit<ExtendManagerDeps, 'registry' | 'workers' | 'log'>;

/** One virtual minion's way to its extension manager. */
export interface SwarmMinionExtend {
  /** The manager, once made (for custom grains and beacons). */
  current(): ExtendManager | undefined;
  /** The manager, made now if it was not (a highstate syncs first, as on a daemon). */
  ensure(): ExtendManager;
}

/** The extension system of a swarm: shared parts, and a manager per minion made on first use. */
export interface SwarmExtend {
  /**
   * The `saltutil.sync_*`, `clear_cache`, `call_state` and `run_beacon` entries to put in every
   * minion's registry: one set of objects for the whole swarm. The first call on a minion makes
   * its manager (which puts its own functions in that registry) and runs the real function.
   */
  readonly functions: readonly ModuleFunction[];
  /**
   * Registers how a minion's manager is made; `loadNow` makes it at once and loads what is
   * installed; `onMade` is told when it is made (the minion's beacon runner starts then).
   */
  attach(
    registry: Map<string, ModuleFunction>,
    deps: () => SwarmExtendDeps,
    o?: { loadNow?: boolean; onMade?(m: ExtendManager): void },
  ): SwarmMinionExtend;
  /** Lets go of every manager's workers. */
  close(): void;
}

/**
 * The extension system of a swarm's virtual minions (issue #21), so that custom modules can be
 * synced and called at scale. Every minion syncs over its own connection into its own directory,
 * as a host would, but the process imports each module content once and runs one worker per
 * content ({@link WorkerPool}; the file is imported only there), and a minion that never syncs pays
 * nothing: its manager (a copy of its registry's built-ins, about as large as the registry) is
 * made at its first `saltutil` call of the extension system.
 */
export function createSwarmExtend(log: Logger): SwarmExtend {
  const workers = new WorkerPool({ log });
  const pending = new WeakMap<ReadonlyMap<string, ModuleFunction>, () => ExtendManager>();
  const managers: ExtendManager[] = [];
  const make = (registry: Map<string, ModuleFunction>, deps: () => SwarmExtendDeps) => {
    const m = new ExtendManager({ ...deps(), registry, workers, log });
    managers.push(m);
    return m;
  };
  // Built once against a stand-in, for their names, docs and schemas; never run themselves.
  const templates = extendFunctions(
    {
      sync: () => Promise.reject(new Error('unreachable')),
      syncAll: () => Promise.reject(new Error('unreachable')),
      clear: () => Promise.reject(new Error('unreachable')),
      notLoaded: () => [],
      beacons: () => [],
    },
    { stateRegistry: new Map(), listModules: undefined },
  );
  const functions = templates.map((t) => {
    const stand: ModuleFunction = {
      ...t,
      run: async (input, ctx) => {
        pending.get(ctx.registry)?.();
        pending.delete(ctx.registry);
        const real = ctx.registry.get(t.name);
        if (!real || real === stand)
          throw new MinionError(MinionErrorCode.extendUnavailable, `${t.name}: this minion has no extension manager`);
        return real.run(input, ctx);
      },
    };
    return stand;
  });
  return {
    functions,
    attach: (registry, deps, o = {}) => {
      let mine: ExtendManager | undefined;
      const made = () => {
        if (mine) return mine;
        pending.delete(registry);
        mine = make(registry, deps);
        o.onMade?.(mine);
        return mine;
      };
      if (o.loadNow)
        void made()
          .loadInstalled()
          .catch((err: unknown) => log.warn({ err: (err as Error)?.message }, 'installed extensions failed to load'));
      else pending.set(registry, made);
      return { current: () => mine, ensure: made };
    },
    close: () => {
      for (const m of managers) m.close();
    },
  };
}
