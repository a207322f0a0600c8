import type { MinionRegistry } from '../core/registry.js';
import type { PillarCompiler, PillarResult } from './compile-pillar.js';
import type { FileStamps } from './pillar-files.js';

/** What the pillar service uses. */
export interface PillarServiceDeps {
  compiler: Pick<PillarCompiler, 'compile'>;
  registry: Pick<MinionRegistry, 'get' | 'setPillar'>;
  /** Whether any file a compile read has changed since (pillar-files `stampsChanged`). */
  stampsChanged(stamps: FileStamps): Promise<boolean>;
  /**
   * Compiles running at once; more wait their turn. A reconnect storm of 10,000 minions then
   * compiles a few at a time between handshakes instead of holding 10,000 half-rendered
   * pillars. @default 8
   */
  maxConcurrent?: number;
}

interface CacheEntry {
  /** The registry's grains object the pillar was compiled with: a grains update replaces it. */
  grains: unknown;
  result: PillarResult;
}

/**
 * Compiled pillar per minion, cached. An entry is served while the minion's grains are the same
 * object the registry held at compile time (a `grains.update` replaces it) and no file the
 * compile read has changed (stat of each, mtime and size); otherwise the pillar is compiled
 * again. Concurrent requests for one minion share one compile. The default saltenv's result
 * also becomes the registry's pillar facts, which `I@`/`J@` targets match.
 */
export class PillarService {
  readonly #d: PillarServiceDeps;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inflight = new Map<string, Promise<PillarResult>>();
  readonly #waiting: (() => void)[] = [];
  #running = 0;

  constructor(deps: PillarServiceDeps) {
    this.#d = deps;
  }

  /** The minion's pillar (compiled, or from cache when still fresh); never throws for bad pillar files. */
  get(id: string, saltenv?: string): Promise<PillarResult> {
    const key = `${id}\0${saltenv ?? ''}`;
    let running = this.#inflight.get(key);
    if (running === undefined) {
      running = this.#load(id, saltenv, key).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, running);
    }
    return running;
  }

  /**
   * Compiles the pillar of minions this master does not hold (another master does, and shared
   * their grains), only so that `I@`/`J@` targets published here match them: the result becomes
   * their registry pillar facts and is never sent anywhere. Compiles queue behind the same
   * limit as a connect's. Resolves when all are done; never rejects.
   */
  async prime(ids: Iterable<string>): Promise<void> {
    await Promise.all([...ids].map((id) => this.get(id).catch(() => undefined)));
  }

  /** Drops cached pillar: one minion's, or every one (`cache.clear_pillar`); returns how many. */
  clear(id?: string): number {
    let n = 0;
    for (const key of [...this.#cache.keys()]) {
      if (id === undefined || key.startsWith(`${id}\0`)) {
        this.#cache.delete(key);
        n++;
      }
    }
    return n;
  }

  async #limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= (this.#d.maxConcurrent ?? 8)) await new Promise<void>((r) => this.#waiting.push(r));
    this.#running++;
    try {
      return await work();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }

  async #load(id: string, saltenv: string | undefined, key: string): Promise<PillarResult> {
    const grains = this.#d.registry.get(id)?.grains ?? {};
    const cached = this.#cache.get(key);
    if (
      cached &&
      cached.grains === grains &&
      cached.result.cacheable &&
      !(await this.#d.stampsChanged(cached.result.stamps))
    )
      return cached.result;
    const result = await this.#limited(() => this.#d.compiler.compile({ id, grains }, saltenv));
    this.#cache.set(key, { grains, result });
    if (saltenv === undefined) this.#d.registry.setPillar(id, result.ok ? result.pillar : undefined);
    return result;
  }
}
