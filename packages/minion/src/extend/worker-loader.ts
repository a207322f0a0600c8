import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { ExtendKind } from '@brine/protocol';
import type { Grains } from '../modules/types.js';
import type { Manifest } from './extension-manifest.js';
import type { Loaded } from './extend-loader.js';
import { installedDir, installedEntries } from './extend-sync.js';
import type { ModuleWorker } from './module-worker.js';
import type { WorkerPool } from './worker-pool.js';
import type { WorkerError } from './worker-protocol.js';

/** An extension loaded in its worker: what it declared, and the worker that runs it. */
export interface InWorker {
  manifest: Manifest;
  worker: ModuleWorker;
  url: string;
}

/** How a kind is loaded in workers. */
export interface WorkerLoadOptions {
  workers: Pick<WorkerPool, 'acquire' | 'release'>;
  grains: Grains;
  log: Logger;
  /** How long importing a file, and its `virtual()`, may take before it counts as failed. @default 10000 */
  loadTimeoutMs?: number;
}

/**
 * Loads every installed file of one kind in its own worker (issue #21: the main thread never
 * imports custom code). A file that throws at import, has the wrong shape, or does not answer
 * within the deadline (a top-level loop: its thread is terminated) is `failed`; one whose
 * `virtual()` declines is `declined`; the worker of a file not loaded is let go. Never rejects.
 * Each `loaded` entry holds one {@link WorkerPool} reference, released by the caller when the
 * registry no longer uses it.
 */
export async function loadInWorkers(dir: string, kind: ExtendKind, o: WorkerLoadOptions): Promise<Loaded<InWorker>[]> {
  const at = installedDir(dir, kind);
  if (!at) return [];
  // Each file loads in its own thread: a file that blocks costs the deadline once, not per file.
  return Promise.all(
    installedEntries(dir, kind).map((entry) => {
      const url = `${pathToFileURL(join(at, `${entry.name}.js`)).href}?v=${entry.sha256}`;
      return loadOne(entry.name, url, kind, o);
    }),
  );
}

async function loadOne(name: string, url: string, kind: ExtendKind, o: WorkerLoadOptions): Promise<Loaded<InWorker>> {
  const ms = o.loadTimeoutMs ?? 10_000;
  const worker = o.workers.acquire(url, kind);
  const drop = <T>(l: T): T => {
    o.workers.release(url, kind);
    return l;
  };
  const ready = await worker.describe(ms);
  if (!('kind' in ready)) return drop({ name, status: 'failed', error: ready.message });
  if (!ready.virtual) return { name, status: 'loaded', value: { manifest: ready, worker, url }, url };
  try {
    const verdict = await worker.invoke(
      { op: 'virtual', fn: '', input: null, snap: { grains: o.grains } },
      {
        signal: AbortSignal.timeout(ms),
        log: o.log,
        answer: (op) => Promise.reject(new Error(`${op} is not available to virtual()`)),
      },
    );
    if (verdict === true) return { name, status: 'loaded', value: { manifest: ready, worker, url }, url };
    const reason = (verdict as { reason?: unknown } | undefined)?.reason;
    return drop({ name, status: 'declined', reason: typeof reason === 'string' ? reason : 'virtual() declined' });
  } catch (err) {
    return drop({ name, status: 'failed', error: (err as WorkerError).message ?? String(err) });
  }
}
