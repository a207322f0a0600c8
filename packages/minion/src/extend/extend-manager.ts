import type { Logger } from 'pino';
import type { ExtendKind } from '@brine/protocol';
import type { BeaconDefinition, GrainsDefinition } from '@brine/extend';
import { MinionError } from '../errors.js';
import { prepareCall } from '../modules/registry.js';
import type { Grains, ModuleDefinition, ModuleFunction } from '../modules/types.js';
import type { StateFunction } from '../states/types.js';
import { layerModules, layerStates, swapContents } from './apply-modules.js';
import { extendFunctions } from './extend-functions.js';
import type { Loaded } from './extend-loader.js';
import { clearInstalled, syncKind, type SyncDeps, type SyncReport } from './extend-sync.js';
import { isolated, type CallFunction } from './isolate.js';
import { beaconStandIn, grainsStandIn, moduleStandIn, stateModuleStandIn } from './stand-ins.js';
import { loadInWorkers, type InWorker } from './worker-loader.js';
import type { WorkerPool } from './worker-pool.js';

/** What one kind's sync and reload did, as `saltutil.sync_*` returns it. */
export interface KindOutcome {
  changed: string[];
  removed: string[];
  /** Names that failed to compile on the master or to load here, with the message. */
  failed: Record<string, string>;
  /** Names whose `virtual()` declined on this host, with the reason. */
  declined: Record<string, string>;
}

/** The dependencies of the extension manager. */
export interface ExtendManagerDeps {
  /** The live execution registry the executor reads; its contents are swapped on reload. */
  registry: Map<string, ModuleFunction>;
  /** The live state registry; its contents are swapped on reload. */
  stateRegistry: Map<string, StateFunction>;
  sync: SyncDeps;
  /** The minion's grains now (for `virtual()` hooks), and a refresh that tells the master. */
  grains: { all(): Grains; refresh(): Promise<Grains> };
  /** The process's workers of custom modules (shared by the minions of a swarm). */
  workers: Pick<WorkerPool, 'acquire' | 'release'>;
  /** How long importing a file in its worker, and its `virtual()`, may take. @default 10000 */
  loadTimeoutMs?: number | undefined;
  /** Told when the loaded custom beacons changed, so the beacon runner starts them anew. */
  onBeaconsChanged?(): void;
  log: Logger;
}

/** Grains first: the `virtual()` hooks of modules, states and beacons may look at custom grains. */
const SYNC_ORDER: readonly ExtendKind[] = ['grains', 'modules', 'states', 'beacons'];

/**
 * Owns the custom extensions of one minion: syncs them from the master (one sync at a time),
 * loads what is installed, and lays custom modules and states over the built-ins by swapping
 * the contents of the live registries in one synchronous step. A job already running keeps the
 * function it started with; the connection is never touched.
 */
export class ExtendManager {
  readonly #d: ExtendManagerDeps;
  readonly #builtins: ReadonlyMap<string, ModuleFunction>;
  readonly #builtinStates: ReadonlyMap<string, StateFunction>;
  readonly #status = new Map<ExtendKind, Loaded<unknown>[]>();
  #grains: GrainsDefinition[] = [];
  #beacons: BeaconDefinition[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  /** Per kind, the versions whose workers the loaded extensions use (one pool reference each). */
  readonly #held = new Map<ExtendKind, Set<string>>();

  constructor(d: ExtendManagerDeps) {
    this.#d = d;
    const own = extendFunctions(this, {
      stateRegistry: d.stateRegistry,
      listModules: d.registry.get('sys.list_modules'),
    });
    for (const fn of own) d.registry.set(fn.name, fn);
    this.#builtins = new Map(d.registry);
    this.#builtinStates = new Map(d.stateRegistry);
  }

  /**
   * Loads every installed extension (at start, before the first connect). Grains come first and
   * are collected again, so that modules' `virtual()` hooks see the custom grains.
   */
  async loadInstalled(): Promise<void> {
    for (const kind of SYNC_ORDER) {
      await this.#reload(kind);
      if (kind === 'grains' && this.#grains.length > 0) await this.#d.grains.refresh();
    }
  }

  /** Syncs one kind from the master and reloads it; grains are then refreshed and sent. Rejects on a refused listing or file. */
  sync(kind: ExtendKind): Promise<KindOutcome> {
    return this.#serial(async () => {
      const report = await syncKind(kind, this.#d.sync);
      await this.#reload(kind);
      if (kind === 'grains') await this.#d.grains.refresh();
      return this.#outcome(report);
    });
  }

  /** Syncs every kind, grains first; the hook to run before a highstate (Salt syncs then too). */
  async syncAll(): Promise<Record<ExtendKind, KindOutcome>> {
    const out = {} as Record<ExtendKind, KindOutcome>;
    for (const kind of SYNC_ORDER) out[kind] = await this.sync(kind);
    return out;
  }

  /** Removes every installed extension and goes back to the built-ins (`saltutil.clear_cache`). */
  clear(): Promise<void> {
    return this.#serial(async () => {
      clearInstalled(this.#d.sync.dir);
      for (const kind of SYNC_ORDER) await this.#reload(kind);
      await this.#d.grains.refresh();
    });
  }

  /** Lets go of the workers of the loaded extensions (at stop); they end once idle. */
  close(): void {
    for (const [kind, urls] of this.#held) for (const url of urls) this.#d.workers.release(url, kind);
    this.#held.clear();
  }

  /** Custom grains from every loaded provider, merged in name order; a provider that fails is logged and skipped. */
  async customGrains(core: Grains): Promise<Grains> {
    let out: Grains = {};
    for (const g of this.#grains) {
      try {
        // Runs in the provider's worker under GRAINS_TIMEOUT_MS: a hang is reported, the others load.
        const got = await g.grains({ grains: core, log: this.#d.log });
        if (typeof got === 'object' && got !== null && !Array.isArray(got)) out = { ...out, ...got };
      } catch (err) {
        this.#d.log.warn({ grains: g.name, err: (err as Error)?.message }, 'custom grains provider failed');
      }
    }
    return out;
  }

  /**
   * The live state registry, built-in and custom: what `state.apply`/`state.single` should run
   * state functions from, so that synced state modules take part in a state run.
   */
  get states(): ReadonlyMap<string, StateFunction> {
    return this.#d.stateRegistry;
  }

  /** The loaded custom beacons, for the beacon runner. */
  beacons(): readonly BeaconDefinition[] {
    return this.#beacons;
  }

  /** Extensions installed but not in use, for `sys.list_modules`. */
  notLoaded(kind: ExtendKind): { name: string; declined?: string; failed?: string }[] {
    return (this.#status.get(kind) ?? []).flatMap((l): { name: string; declined?: string; failed?: string }[] =>
      l.status === 'declined'
        ? [{ name: l.name, declined: l.reason }]
        : l.status === 'failed'
          ? [{ name: l.name, failed: l.error }]
          : [],
    );
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #reload(kind: ExtendKind): Promise<void> {
    const d = this.#d;
    const loaded: Loaded<InWorker>[] = await loadInWorkers(d.sync.dir, kind, {
      workers: d.workers,
      grains: d.grains.all(),
      log: d.log,
      ...(d.loadTimeoutMs !== undefined ? { loadTimeoutMs: d.loadTimeoutMs } : {}),
    });
    const ok = loaded.flatMap((l) => (l.status === 'loaded' ? [l.value] : []));
    const held = new Set(ok.map((v) => v.url));
    if (kind === 'modules') {
      const of = new Map<ModuleDefinition, InWorker>();
      for (const v of ok) if (v.manifest.kind === 'modules') of.set(moduleStandIn(v.manifest), v);
      const { registry, refused } = layerModules(this.#builtins, [...of.keys()], (fn, def) =>
        isolated(fn, { worker: of.get(def)!.worker, fn: fn.name.slice(def.name.length + 1), call: this.#call }),
      );
      swapContents(d.registry, registry);
      for (const r of refused) {
        const i = loaded.findIndex((l) => l.status === 'loaded' && l.value.manifest.name === r.name);
        if (i < 0) continue;
        const l = loaded[i] as Extract<Loaded<InWorker>, { status: 'loaded' }>;
        held.delete(l.url);
        d.workers.release(l.url, kind);
        loaded[i] = { name: l.name, status: 'failed', error: r.reason };
      }
    } else if (kind === 'states') {
      const defs = ok.flatMap((v) => (v.manifest.kind === 'states' ? [stateModuleStandIn(v.manifest, v.worker)] : []));
      swapContents(d.stateRegistry, layerStates(this.#builtinStates, defs));
    } else if (kind === 'grains') {
      this.#grains = ok
        .flatMap((v) => (v.manifest.kind === 'grains' ? [grainsStandIn(v.manifest, v.worker)] : []))
        .sort((a, b) => a.name.localeCompare(b.name));
    } else {
      this.#beacons = ok.flatMap((v) => (v.manifest.kind === 'beacons' ? [beaconStandIn(v.manifest, v.worker)] : []));
    }
    // The old versions' workers end once the calls that started on them have settled.
    const before = this.#held.get(kind) ?? new Set<string>();
    for (const url of before) d.workers.release(url, kind);
    this.#held.set(kind, held);
    // The same files (same `?v=<sha256>`) reloaded change nothing for the beacon runner.
    if (kind === 'beacons' && (before.size !== held.size || [...held].some((u) => !before.has(u))))
      d.onBeaconsChanged?.();
    this.#status.set(kind, loaded);
    for (const l of loaded)
      if (l.status === 'failed') d.log.warn({ kind, name: l.name, err: l.error }, 'custom extension failed to load');
  }

  #outcome(report: SyncReport): KindOutcome {
    const failed: Record<string, string> = { ...report.compileErrors };
    const declined: Record<string, string> = {};
    for (const n of this.notLoaded(report.kind)) {
      if (n.failed !== undefined) failed[n.name] = n.failed;
      if (n.declined !== undefined) declined[n.name] = n.declined;
    }
    return { changed: report.changed, removed: report.removed, failed, declined };
  }

  readonly #call: CallFunction = async (ctx, fun, args = [], kwargs = {}) => {
    const call = prepareCall(this.#d.registry, fun, args, kwargs);
    if (!call.ok) throw new MinionError(call.error.code, call.error.message);
    return call.fn.run(call.input, ctx);
  };
}
