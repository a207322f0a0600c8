import { Script, createContext } from 'node:vm';
import type { ModuleContext, ModuleFunction, ModuleResult } from '../modules/types.js';
import { CancelledError, MinionErrorCode, NodeErrorCode } from '../errors.js';

/** The code of a custom function that threw: its return carries the message and the stack. */
export const CUSTOM_FUNCTION_FAILED = MinionErrorCode.customFunction;
/** The code of a custom function stopped for blocking the minion's event loop past its job's deadline. */
export const CUSTOM_FUNCTION_BLOCKED = MinionErrorCode.customFunctionBlocked;

/** Node's code when a `vm` script's `timeout` ended it (V8's TerminateExecution). */
const VM_TIMEOUT = NodeErrorCode.scriptTimeout;

/**
 * Calls `start` under a `vm` timeout: Node's watchdog thread terminates the JavaScript running on
 * the main thread once `timeoutMs` pass, so a synchronous endless loop in `start` ends with a
 * VM_TIMEOUT error instead of blocking the minion for good. A host function called from the
 * script is covered too (termination stops the whole stack), but only until `start` returns:
 * code after the function's first `await` runs later, outside the timeout. Measured here: about
 * 100 µs a call (a watchdog thread per call), against 160 to 530 ms for a worker per call.
 */
function underTimeout<T>(start: () => T, timeoutMs: number | undefined): T {
  if (timeoutMs === undefined || !(timeoutMs > 0)) return start();
  const box = createContext({ start });
  return RUN_START.runInContext(box, { timeout: Math.max(1, Math.floor(timeoutMs)) }) as T;
}

// A compiled script, immutable: each call gets its own context, so nothing is shared.
const RUN_START = new Script('start()');

/** Runs any function by name with a job's context, as the job would (`prepareCall` then `run`). */
export type CallFunction = (
  ctx: ModuleContext,
  fun: string,
  args?: readonly unknown[],
  kwargs?: Readonly<Record<string, unknown>>,
) => Promise<ModuleResult>;

/**
 * Wraps a custom module function so that its failures are results, not minion failures:
 * - a throw (or rejection) returns `{code, message, stack}` with retcode 1: the stack is the
 *   author's own code, which is what they need to fix it (built-ins never send stacks);
 * - a function that never settles is abandoned when the job's signal aborts (deadline or
 *   cancel), so the executor reports `timed_out`/`cancelled` as for `cmd.*`; child processes it
 *   started through `ctx.call('cmd.run', ...)` die with the job's process group.
 * - a function that blocks the event loop synchronously (`while (true) {}`) before its first
 *   `await` is terminated at the job's deadline (`ctx.timeoutMs`) and returns
 *   {@link CUSTOM_FUNCTION_BLOCKED}; a loop after an `await` is not caught (docs/extending.md).
 */
export function isolated(fn: ModuleFunction, call: CallFunction): ModuleFunction {
  return {
    ...fn,
    run: async (input, ctx) => {
      const inner: ModuleContext = Object.create(ctx, {
        call: {
          value: (fun: string, args?: readonly unknown[], kwargs?: Readonly<Record<string, unknown>>) =>
            call(inner, fun, args, kwargs),
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
        const started = underTimeout(() => fn.run(input, inner), ctx.timeoutMs);
        return await Promise.race([started, aborted]);
      } catch (err) {
        if ((err as { code?: unknown })?.code === VM_TIMEOUT) return blocked(fn.name, ctx.timeoutMs);
        if (ctx.signal.aborted) throw err;
        return failure(fn.name, err);
      } finally {
        detach();
      }
    },
  };
}

function blocked(name: string, timeoutMs: number): ModuleResult {
  const message = `${name} blocked the minion's event loop for ${timeoutMs} ms (a synchronous loop) and was stopped`;
  return { ret: { code: CUSTOM_FUNCTION_BLOCKED, message }, retcode: 1, success: false };
}

function failure(name: string, err: unknown): ModuleResult {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    ret: { code: CUSTOM_FUNCTION_FAILED, message: `${name}: ${e.message}`, stack: e.stack ?? '' },
    retcode: 1,
    success: false,
  };
}
