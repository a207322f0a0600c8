import type { ModuleContext, ModuleFunction, ModuleResult } from '../modules/types.js';
import { CancelledError } from '../errors.js';

/** The code of a custom function that threw: its return carries the message and the stack. */
export const CUSTOM_FUNCTION_FAILED = 'ERR_MINION_CUSTOM_FUNCTION';

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
 * A synchronous endless loop is not caught here: it blocks the minion (see docs/extending.md).
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
        return await Promise.race([Promise.resolve().then(() => fn.run(input, inner)), aborted]);
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        return failure(fn.name, err);
      } finally {
        detach();
      }
    },
  };
}

function failure(name: string, err: unknown): ModuleResult {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    ret: { code: CUSTOM_FUNCTION_FAILED, message: `${name}: ${e.message}`, stack: e.stack ?? '' },
    retcode: 1,
    success: false,
  };
}
