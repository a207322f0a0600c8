import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ExtendKind } from '@brine/protocol';
import { contentKey } from './extend-loader.js';
import { ModuleWorker } from './module-worker.js';

/** How the workers of custom modules are started. */
export interface WorkerPoolOptions {
  log: Logger;
  /** The worker's entry file. @default {@link workerEntry}() */
  entry?: string;
  /** @default {maxOldGenerationSizeMb: 256} */
  resourceLimits?: ResourceLimits;
  /** @default 1000 */
  abortGraceMs?: number;
}

/**
 * The workers of one process's custom extensions (modules, states, grains, beacons), one per
 * installed version (its kind, file name and `?v=<sha256>`: {@link contentKey}), shared by every
 * minion of the process that loaded that version: a swarm of a thousand minions that synced the
 * same module runs one worker, not a thousand. A worker is
 * started when a registry takes it (`acquire`, at load or sync) and ends once every registry has
 * let it go (`release`) and its last call has settled, so a job running across a sync keeps the
 * version it started with.
 */
export class WorkerPool {
  readonly #o: WorkerPoolOptions;
  readonly #workers = new Map<string, { worker: ModuleWorker; refs: number }>();

  constructor(o: WorkerPoolOptions) {
    this.#o = o;
  }

  /** The worker of an extension version, started if it is new; pair with {@link release}. */
  acquire(url: string, kind: ExtendKind = 'modules'): ModuleWorker {
    const key = `${kind}/${contentKey(url)}`;
    const have = this.#workers.get(key);
    if (have) {
      have.refs++;
      // A worker started again imports the newest copy: an older holder's may be cleared.
      have.worker.url = url;
      return have.worker;
    }
    const o = this.#o;
    const worker = new ModuleWorker({
      entry: o.entry ?? workerEntry(),
      url,
      kind,
      log: o.log,
      ...(o.resourceLimits ? { resourceLimits: o.resourceLimits } : {}),
      ...(o.abortGraceMs !== undefined ? { abortGraceMs: o.abortGraceMs } : {}),
    });
    worker.start();
    this.#workers.set(key, { worker, refs: 1 });
    return worker;
  }

  /** A registry no longer holds this version: the last release retires its worker. */
  release(url: string, kind: ExtendKind = 'modules'): void {
    const key = `${kind}/${contentKey(url)}`;
    const have = this.#workers.get(key);
    if (!have || --have.refs > 0) return;
    this.#workers.delete(key);
    have.worker.retire();
  }

  /** How many module versions have a worker. */
  get size(): number {
    return this.#workers.size;
  }
}

/**
 * The worker's entry file, found next to this one: `extend-worker.js` in the unbundled build,
 * `extend-worker.mjs` beside the bundled daemon (scripts/bundle.mjs builds it), and the built
 * file when this module runs from source under the tests (a worker cannot run TypeScript).
 */
export function workerEntry(): string {
  const candidates = ['./extend-worker.js', './extend-worker.mjs', '../../dist/extend/extend-worker.js'];
  for (const c of candidates) {
    const file = fileURLToPath(new URL(c, import.meta.url));
    if (existsSync(file)) return file;
  }
  return fileURLToPath(new URL(candidates[0]!, import.meta.url));
}
