import type { ModuleContext, ModuleFunction, ModuleResult } from '../modules/types.js';
import { ErrorCode } from '@brine/protocol';
import { CancelledError, MinionError } from '../errors.js';
import type { ModuleWorker } from './module-worker.js';
import { CustomCode, type CallFunction, type WorkerError } from './worker-protocol.js';

export type { CallFunction } from './worker-protocol.js';

/** The code of a custom function that threw: its return carries the message and the stack. */
export const CUSTOM_FUNCTION_FAILED = CustomCode.functionFailed;
/** The code of a custom function whose worker ended under it ({@link CustomCode}). */
export const CUSTOM_WORKER_FAILED = CustomCode.workerFailed;

/** Where a custom function runs: its module's worker, and its name inside the module. */
export interface IsolatedOptions {
  worker: Pick<ModuleWorker, 'run'>;
  /** The function's name inside its module (`greet` for `myapp.greet`). */
  fn: string;
  /** Runs another function for `ctx.call`, on the main thread with the job's context. */
  call: CallFunction;
}

/**
 * Wraps a custom module function so that it runs in its module's worker thread and its failures
 * are results, not minion failures (issue #21). The main thread keeps the function's name, doc
 * and argument names (a stand-in schema); the worker validates the arguments with the module's
 * own schema (a misfit is `ERR_ARGS_INVALID` naming the argument, as for a built-in) and runs `run`.
 * - a throw (or rejection) returns `{code, message, stack}` with retcode 1: the stack is the
 *   author's own code, which is what they need to fix it (built-ins never send stacks);
 * - at the job's deadline or cancel the call is abandoned at once, so the executor reports
 *   `timed_out`/`cancelled` as for `cmd.*`; the worker is told, and terminated if the call is
 *   still running a moment later, so a loop after an `await` stops too. Child processes started
 *   through `ctx.call('cmd.run', ...)` run on the main thread and die with the job's group;
 * - a worker that dies (out of memory, an uncaught throw) fails its calls with
 *   {@link CUSTOM_WORKER_FAILED}, and the next call starts a new worker.
 */
export function isolated(fn: ModuleFunction, o: IsolatedOptions): ModuleFunction {
  return {
    ...fn,
    run: async (input, ctx) => {
      const inner: ModuleContext = Object.create(ctx, {
        call: {
          value: (fun: string, args?: readonly unknown[], kwargs?: Readonly<Record<string, unknown>>) =>
            o.call(inner, fun, args, kwargs),
        },
      });
      let detach = () => {};
      const aborted = new Promise<never>((_, reject) => {
        const onAbort = () => reject(new CancelledError(`${fn.name} was stopped: the job was cancelled or timed out`));
        if (ctx.signal.aborted) return onAbort();
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        detach = () => ctx.signal.removeEventListener('abort', onAbort);
      });
      try {
        return await Promise.race([o.worker.run(o.fn, input, inner, o.call), aborted]);
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        const e = err as WorkerError;
        // The worker validated the arguments with the module's own schema: the same error as a built-in's.
        if (e.code === ErrorCode.ARGS_INVALID) throw new MinionError(ErrorCode.ARGS_INVALID, e.message);
        return failure(fn.name, e);
      } finally {
        detach();
      }
    },
  };
}

function failure(name: string, e: WorkerError): ModuleResult {
  const code = e.code === CUSTOM_WORKER_FAILED ? CUSTOM_WORKER_FAILED : CUSTOM_FUNCTION_FAILED;
  return {
    ret: { code, message: `${name}: ${e.message}`, stack: e.stack ?? '' },
    retcode: 1,
    success: false,
  };
}
