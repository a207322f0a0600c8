import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ModuleContext, ModuleResult } from '../modules/types.js';
import { answer, forwardLog } from './worker-rpc.js';
import {
  CustomCode,
  type CallFunction,
  toWorkerError,
  type CallSnapshot,
  type FromWorker,
  type ToWorker,
  type WorkerError,
} from './worker-protocol.js';

/** How a module's worker is started. */
export interface ModuleWorkerOptions {
  /** The worker's entry file (extend-worker.js). */
  entry: string;
  /** The installed module's `file:` URL with its `?v=<sha256>`. */
  url: string;
  /** @default {maxOldGenerationSizeMb: 256} */
  resourceLimits?: ResourceLimits;
  /** How long a call may go on after its job's signal aborted before the worker is terminated. @default 1000 */
  abortGraceMs?: number;
  log: Logger;
}

/** A call waiting for its worker's answer. */
interface Pending {
  /** The thread the call runs on: when it ends, only its own calls fail. */
  worker: Worker;
  ctx: ModuleContext;
  call: CallFunction;
  resolve(r: ModuleResult): void;
  reject(e: WorkerError): void;
}

/**
 * One custom module's worker thread, started once and reused by every call of the module's
 * functions. A call's input and the data of its `ctx` go with it; `ctx`'s methods (`call`,
 * `files`, `pillar`, `grains.setValue`...) come back as messages and run here, with the job's
 * own context, so `ctx.call('cmd.run', ...)` is under the job's deadline and process group.
 * When a job's signal aborts, the worker is told and takes no new calls (the next call starts a
 * new thread; this one ends once its calls have settled); a call still running `abortGraceMs`
 * later (a loop after an `await`, a promise that never settles) gets it terminated, which fails
 * the other calls still on it. A worker that dies (out of memory under `resourceLimits`, an
 * uncaught throw) fails the calls it had the same way.
 */
export class ModuleWorker {
  readonly #o: ModuleWorkerOptions;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  /** Threads that take no new calls and end when their last call settles. */
  readonly #draining = new Set<Worker>();
  #seq = 0;
  #retired = false;
  /** The module file a thread started from now imports. */
  url: string;

  constructor(o: ModuleWorkerOptions) {
    this.#o = o;
    this.url = o.url;
  }

  /** Starts the thread now (at load or sync) rather than at the first call. */
  start(): void {
    this.#thread();
  }

  /**
   * Runs `fn` (the function's name inside the module) with an input that the main thread has
   * validated. Resolves with its result; rejects with the {@link WorkerError} of a throw, or of
   * the worker's end.
   */
  run(fn: string, input: unknown, ctx: ModuleContext, call: CallFunction): Promise<ModuleResult> {
    const worker = this.#thread();
    const id = this.#seq++;
    const snap: CallSnapshot = {
      jid: ctx.jid,
      timeoutMs: ctx.timeoutMs,
      grains: ctx.grains.all(),
      maxOutputBytes: ctx.maxOutputBytes,
      cacheDir: ctx.cacheDir,
      running: ctx.jobs.running(),
      mineConfigured: ctx.mine.configured(),
    };
    const settled = new Promise<ModuleResult>((resolve, reject) => {
      this.#pending.set(id, { worker, ctx, call, resolve, reject });
    });
    if (this.#retired) this.#drain(worker);
    const onAbort = () => {
      if (!this.#pending.has(id)) return;
      this.#send(worker, { t: 'abort', id });
      // The thread may be stuck: calls from now on go to a new one.
      this.#drain(worker);
      const grace = setTimeout(() => {
        if (this.#pending.has(id)) this.#stop(worker, `${fn} overran its job's deadline`);
      }, this.#o.abortGraceMs ?? 1000);
      grace.unref();
      void settled.catch(() => undefined).finally(() => clearTimeout(grace));
    };
    if (ctx.signal.aborted) queueMicrotask(onAbort);
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      worker.postMessage({ t: 'call', id, fn, input, snap } satisfies ToWorker);
    } catch (err) {
      this.#settle(id, { error: toWorkerError(err) });
    }
    return settled.finally(() => ctx.signal.removeEventListener('abort', onAbort));
  }

  /** No new calls will come: the thread ends once the last call has settled. */
  retire(): void {
    this.#retired = true;
    if (this.#worker) this.#drain(this.#worker);
  }

  /** Takes no new calls on `worker`; it ends once its last call has settled. */
  #drain(worker: Worker): void {
    if (this.#worker === worker) this.#worker = undefined;
    this.#draining.add(worker);
    this.#endIfIdle(worker);
  }

  #endIfIdle(worker: Worker): void {
    if (!this.#draining.has(worker)) return;
    for (const p of this.#pending.values()) if (p.worker === worker) return;
    this.#draining.delete(worker);
    void worker.terminate();
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const o = this.#o;
    const worker = new Worker(o.entry, {
      workerData: { url: this.url },
      resourceLimits: o.resourceLimits ?? { maxOldGenerationSizeMb: 256 },
      stdout: false,
      stderr: false,
    });
    // A worker with no call in flight must not keep the process alive.
    worker.unref();
    let died: WorkerError | undefined;
    worker.on('message', (m: FromWorker) => this.#onMessage(worker, m));
    worker.on('error', (err) => {
      died = toWorkerError(err);
      o.log.warn({ url: this.url, err: died.message }, 'custom module worker died');
    });
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#draining.delete(worker);
      const why = died ?? { message: 'the worker of this module was stopped' };
      this.#failAll(worker, { ...why, code: CustomCode.workerFailed });
    });
    this.#worker = worker;
    return worker;
  }

  #stop(worker: Worker, why: string): void {
    this.#o.log.warn({ url: this.url, why }, 'custom module worker terminated');
    if (this.#worker === worker) this.#worker = undefined;
    this.#draining.delete(worker);
    this.#failAll(worker, { message: `the module's worker was terminated: ${why}`, code: CustomCode.workerFailed });
    void worker.terminate();
  }

  #failAll(worker: Worker, error: WorkerError): void {
    for (const [id, p] of [...this.#pending]) if (p.worker === worker) this.#settle(id, { error });
  }

  #settle(id: number, outcome: { result: ModuleResult } | { error: WorkerError }): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    if ('result' in outcome) p.resolve(outcome.result);
    else p.reject(outcome.error);
    this.#endIfIdle(p.worker);
  }

  #onMessage(worker: Worker, m: FromWorker): void {
    if (m.t === 'ready' || m.t === 'load.failed') {
      if (m.t === 'load.failed')
        this.#o.log.warn({ url: this.url, err: m.error.message }, 'custom module failed to load in its worker');
      return;
    }
    if (m.t === 'done') return this.#settle(m.id, { result: m.result });
    if (m.t === 'fail') return this.#settle(m.id, { error: m.error });
    const p = this.#pending.get(m.id);
    if (!p) return;
    if (m.t === 'emit') p.ctx.emit(m.stream, m.data);
    else if (m.t === 'event') p.ctx.fireEvent?.(m.tag, m.data);
    else if (m.t === 'log') forwardLog(p.ctx, m.line);
    else
      void answer(p, m.op, m.args).then(
        (value) => this.#send(worker, { t: 'rpc.ok', rpc: m.rpc, value }),
        (err: unknown) => this.#send(worker, { t: 'rpc.err', rpc: m.rpc, error: toWorkerError(err) }),
      );
  }

  #send(worker: Worker, m: ToWorker): void {
    try {
      worker.postMessage(m);
    } catch (err) {
      // An answer that cannot be cloned: tell the worker so its await rejects instead of hanging.
      if (m.t === 'rpc.ok')
        worker.postMessage({ t: 'rpc.err', rpc: m.rpc, error: toWorkerError(err) } satisfies ToWorker);
    }
  }
}
