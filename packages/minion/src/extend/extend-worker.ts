/**
 * The entry of a custom module's worker thread. Lifecycle:
 * 1. hand the module the minion's zod (as the main thread does), import it from `workerData.url`
 * 2. tell the main thread `ready` (or `load.failed` with the error)
 * 3. for each `call`: build a `ctx` whose data parts come with the call and whose methods ask
 *    the main thread over messages, run the function, answer `done` or `fail` (with the stack)
 * 4. the main thread terminates the worker when a call overruns its deadline, or when the
 *    module is synced away and its last call has ended
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import pino, { type Logger } from 'pino';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../modules/types.js';
import { provideHostModules } from './host-modules.js';
import {
  toWorkerError,
  type CallSnapshot,
  type FromWorker,
  type RpcOp,
  type ToWorker,
  type WorkerData,
  type WorkerError,
} from './worker-protocol.js';

/** Serves one module's calls on this thread; its state lives in this closure, one per thread. */
function serve(port: MessagePort, url: string): void {
  const post = (m: FromWorker) => port.postMessage(m);
  provideHostModules();
  const loaded: Promise<ModuleDefinition | WorkerError> = import(url).then(
    (mod: { default?: ModuleDefinition }) => {
      post({ t: 'ready' });
      return mod.default ?? { message: 'the module has no default export' };
    },
    (err: unknown) => {
      const error = toWorkerError(err);
      post({ t: 'load.failed', error });
      return error;
    },
  );
  // The calls running here, and the answers this thread waits for from the main thread.
  const aborts = new Map<number, AbortController>();
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  let nextRpc = 0;
  const rpc = (id: number, op: RpcOp, args: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const n = nextRpc++;
      waiting.set(n, { resolve, reject });
      post({ t: 'rpc', id, rpc: n, op, args });
    });

  const run = async (m: Extract<ToWorker, { t: 'call' }>): Promise<void> => {
    const abort = new AbortController();
    aborts.set(m.id, abort);
    try {
      const def = await loaded;
      if (!('functions' in def)) throw new Error(`the module failed to load in its worker: ${def.message}`);
      const spec = def.functions[m.fn];
      if (!spec) throw new Error(`${m.fn} is not a function of this module`);
      const result: ModuleResult = await spec.run(m.input, contextFor(m.id, m.snap, abort.signal, { post, rpc }));
      try {
        post({ t: 'done', id: m.id, result });
      } catch (err) {
        // A return that cannot be cloned (a function, a socket) is the author's error too.
        post({ t: 'fail', id: m.id, error: toWorkerError(err) });
      }
    } catch (err) {
      post({ t: 'fail', id: m.id, error: toWorkerError(err) });
    } finally {
      aborts.delete(m.id);
    }
  };

  port.on('message', (m: ToWorker) => {
    if (m.t === 'call') void run(m);
    else if (m.t === 'abort') aborts.get(m.id)?.abort();
    else {
      const w = waiting.get(m.rpc);
      waiting.delete(m.rpc);
      if (m.t === 'rpc.ok') w?.resolve(m.value);
      else w?.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}));
    }
  });
}

/** How a call's context reaches the main thread. */
interface Channel {
  post(m: FromWorker): void;
  rpc(id: number, op: RpcOp, args: unknown[]): Promise<unknown>;
}

function workerLog(id: number, ch: Channel): Logger {
  return pino(
    { level: 'trace', base: null, timestamp: false },
    { write: (line: string) => ch.post({ t: 'log', id, line }) },
  );
}

/** The `ctx` of one call: its data copied from the call, its methods asked of the main thread. */
function contextFor(id: number, snap: CallSnapshot, signal: AbortSignal, ch: Channel): ModuleContext {
  let log: Logger | undefined;
  const ask =
    (op: RpcOp) =>
    (...args: unknown[]) =>
      ch.rpc(id, op, args);
  return {
    jid: snap.jid,
    get log() {
      return (log ??= workerLog(id, ch));
    },
    signal,
    timeoutMs: snap.timeoutMs,
    grains: {
      all: () => snap.grains,
      setValue: ask('grains.setValue') as never,
      refresh: ask('grains.refresh') as never,
    },
    files: { getFile: ask('files.getFile') as never, list: ask('files.list') as never },
    pillar: { items: ask('pillar.items') as never, refresh: ask('pillar.refresh') as never },
    mine: {
      update: ask('mine.update') as never,
      delete: ask('mine.delete') as never,
      get: ask('mine.get') as never,
      configured: () => snap.mineConfigured,
    },
    jobs: { running: () => snap.running, kill: ask('jobs.kill') as never },
    get registry(): never {
      throw new Error("ctx.registry is not available to custom modules; use ctx.call('sys.list_functions')");
    },
    emit: (stream, data) => ch.post({ t: 'emit', id, stream, data }),
    maxOutputBytes: snap.maxOutputBytes,
    cacheDir: snap.cacheDir,
    fireEvent: (tag, data) => {
      ch.post({ t: 'event', id, tag, data });
      return true;
    },
    call: ask('call') as never,
  };
}

serve(parentPort!, (workerData as WorkerData).url);
