import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ExtendKind } from '@brine/protocol';
import type { ModuleContext, ModuleResult } from '../modules/types.js';
import type { Manifest } from './extension-manifest.js';
import { answer, forwardLog } from './worker-rpc.js';
import {
  CustomCode,
  type CallFunction,
  type CallOp,
  type RpcOp,
  toWorkerError,
  type CallSnapshot,
  type FromWorker,
  type ToWorker,
  type WorkerData,
  type WorkerError,
} from './worker-protocol.js';

/** How a module's worker is started. */
export interface ModuleWorkerOptions {
  /** The worker's entry file (extend-worker.js). */
  entry: string;
  /** The installed module's `file:` URL with its `?v=<sha256>`. */
  url: string;
  /** What the file is. @default 'modules' */
  kind?: ExtendKind;
  /** @default {maxOldGenerationSizeMb: 256} */
  resourceLimits?: ResourceLimits;
  /** How long a call may go on after its job's signal aborted before the worker is terminated. @default 1000 */
  abortGraceMs?: number;
  log: Logger;
}

/** What a call's worker reaches back to on the main thread while it runs. */
export interface CallHost {
  /** Aborts the call: the worker is told, and terminated if the call goes on past the grace. */
  signal: AbortSignal;
  log: Logger;
  emit?(stream: 'stdout' | 'stderr' | 'state', data: string): void;
  fireEvent?(tag: string, data: unknown): boolean;
  /** Runs a `ctx` method the worker asked for. */
  answer(op: RpcOp, args: unknown[]): Promise<unknown>;
}

/** One call for a worker: what it runs, its input and the data of its context. */
export interface CallRequest {
  op: CallOp;
  /** The function's or state's name inside the module; empty for the other ops. */
  fn: string;
  input: unknown;
  snap: unknown;
}

/** A call waiting for its worker's answer. */
interface Pending {
  /** The thread the call runs on: when it ends, only its own calls fail. */
  worker: Worker;
  host: CallHost;
  resolve(r: unknown): void;
  reject(e: WorkerError): void;
}

/** Whether a thread imported its file: its manifest, or why not. */
type Ready = Manifest | WorkerError;

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
  /** Each thread's load: settled by its `ready` or `load.failed`, or by its end. */
  readonly #ready = new Map<Worker, { promise: Promise<Ready>; settle(r: Ready): void }>();
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
   * The file's manifest once the current thread imported it, or the error of its import; an
   * error too when it has not answered within `timeoutMs` (a top-level loop), and the thread is
   * then terminated.
   */
  describe(timeoutMs: number): Promise<Ready> {
    const worker = this.#thread();
    const ready = this.#ready.get(worker)!.promise;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Ready>((resolve) => {
      timer = setTimeout(() => {
        this.#stop(worker, `its file did not load within ${timeoutMs} ms`);
        resolve({ message: `did not load within ${timeoutMs} ms (its top-level code blocks or never settles)` });
      }, timeoutMs);
    });
    return Promise.race([ready, late]).finally(() => clearTimeout(timer));
  }

  /**
   * Runs `fn` (the function's name inside the module) with the job's fields, which the worker
   * validates with the function's schema. Resolves with its result; rejects with the
   * {@link WorkerError} of a throw (coded `ERR_ARGS_INVALID` for bad arguments), or of the
   * worker's end.
   */
  run(fn: string, input: unknown, ctx: ModuleContext, call: CallFunction): Promise<ModuleResult> {
    const snap: CallSnapshot = {
      jid: ctx.jid,
      timeoutMs: ctx.timeoutMs,
      grains: ctx.grains.all(),
      maxOutputBytes: ctx.maxOutputBytes,
      cacheDir: ctx.cacheDir,
      running: ctx.jobs.running(),
      mineConfigured: ctx.mine.configured(),
    };
    const host: CallHost = {
      signal: ctx.signal,
      get log() {
        return ctx.log;
      },
      emit: (stream, data) => ctx.emit(stream, data),
      fireEvent: (tag, data) => ctx.fireEvent?.(tag, data) ?? false,
      answer: (op, args) => answer({ ctx, call }, op, args),
    };
    return this.invoke({ op: 'fn', fn, input, snap }, host) as Promise<ModuleResult>;
  }

  /**
   * Runs one call of any kind on the current thread. Resolves with what the worker answered;
   * rejects with the {@link WorkerError} of a throw, or of the worker's end.
   */
  invoke(req: CallRequest, host: CallHost): Promise<unknown> {
    const worker = this.#thread();
    const id = this.#seq++;
    const settled = new Promise<unknown>((resolve, reject) => {
      this.#pending.set(id, { worker, host, resolve, reject });
    });
    if (this.#retired) this.#drain(worker);
    const onAbort = () => {
      if (!this.#pending.has(id)) return;
      this.#send(worker, { t: 'abort', id });
      // The thread may be stuck: calls from now on go to a new one.
      this.#drain(worker);
      const grace = setTimeout(() => {
        if (this.#pending.has(id)) this.#stop(worker, `${req.fn || req.op} overran its deadline`);
      }, this.#o.abortGraceMs ?? 1000);
      grace.unref();
      void settled.catch(() => undefined).finally(() => clearTimeout(grace));
    };
    const signal = host.signal;
    if (signal.aborted) queueMicrotask(onAbort);
    else signal.addEventListener('abort', onAbort, { once: true });
    try {
      worker.postMessage({ t: 'call', id, ...req } satisfies ToWorker);
    } catch (err) {
      this.#settle(id, { error: toWorkerError(err) });
    }
    return settled.finally(() => signal.removeEventListener('abort', onAbort));
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
      workerData: { url: this.url, kind: o.kind ?? 'modules' } satisfies WorkerData,
      resourceLimits: o.resourceLimits ?? { maxOldGenerationSizeMb: 256 },
      stdout: false,
      stderr: false,
    });
    // A worker with no call in flight must not keep the process alive.
    worker.unref();
    let died: WorkerError | undefined;
    let settle: (r: Ready) => void = () => {};
    const promise = new Promise<Ready>((resolve) => (settle = resolve));
    this.#ready.set(worker, { promise, settle });
    worker.on('message', (m: FromWorker) => this.#onMessage(worker, m));
    worker.on('error', (err) => {
      died = toWorkerError(err);
      o.log.warn({ url: this.url, err: died.message }, 'custom module worker died');
    });
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#draining.delete(worker);
      const why = died ?? { message: 'the worker of this module was stopped' };
      this.#ready.get(worker)?.settle(why);
      this.#ready.delete(worker);
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

  #settle(id: number, outcome: { result: unknown } | { error: WorkerError }): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    if ('result' in outcome) p.resolve(outcome.result);
    else p.reject(outcome.error);
    this.#endIfIdle(p.worker);
  }

  #onMessage(worker: Worker, m: FromWorker): void {
    if (m.t === 'ready') return this.#ready.get(worker)?.settle(m.manifest);
    if (m.t === 'load.failed') {
      this.#o.log.warn({ url: this.url, err: m.error.message }, 'custom module failed to load in its worker');
      return this.#ready.get(worker)?.settle(m.error);
    }
    if (m.t === 'done') return this.#settle(m.id, { result: m.result });
    if (m.t === 'fail') return this.#settle(m.id, { error: m.error });
    const p = this.#pending.get(m.id);
    if (!p) return;
    if (m.t === 'emit') p.host.emit?.(m.stream, m.data);
    else if (m.t === 'event') p.host.fireEvent?.(m.tag, m.data);
    else if (m.t === 'log') forwardLog(p.host.log, m.line);
    else
      void p.host.answer(m.op, m.args).then(
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
