/**
 * Several functions in one job, as Salt's compound commands (`salt '*' test.echo,cmd.run
 * hello,'uname -a'`): `fun` is the names joined by commas, and `args` holds one argument list
 * per function, each of which may end with Salt's `{__kwarg__: true, ...}` object for that
 * function's keyword arguments. A minion runs them in order and returns `{[fun]: ret}`.
 */

/** One `module.function` name. */
export const FUN_NAME = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/i;
/** One name, or several joined by commas (a compound job). */
export const FUN_LIST = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*(,[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*)*$/i;
/** Most functions in one compound job. */
export const MAX_COMPOUND_FUNCTIONS = 16;

/** One function call of a job, as a minion runs it and as the ACL checks it. */
export interface FunctionCall {
  fun: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
}

/** Whether a job's `fun` names several functions. */
export function isCompound(fun: string): boolean {
  return fun.includes(',');
}

const isKwargObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && (v as Record<string, unknown>)['__kwarg__'] === true;

/**
 * A job's function calls: one for a plain job; one per function for a compound job, each with
 * its own argument list and keyword arguments (from a trailing `__kwarg__` object). Never
 * throws: a compound job whose `args` is not one list per function, or that also has top-level
 * `kwargs`, or names a function twice, is `{ok: false}` with the reason.
 */
export function jobCalls(job: {
  fun: string;
  args: readonly unknown[];
  kwargs: Readonly<Record<string, unknown>>;
}): { ok: true; calls: FunctionCall[] } | { ok: false; message: string } {
  if (!isCompound(job.fun))
    return { ok: true, calls: [{ fun: job.fun, args: [...job.args], kwargs: { ...job.kwargs } }] };
  const funs = job.fun.split(',');
  if (funs.length > MAX_COMPOUND_FUNCTIONS)
    return { ok: false, message: `a compound job runs at most ${MAX_COMPOUND_FUNCTIONS} functions` };
  if (new Set(funs).size !== funs.length)
    return { ok: false, message: 'a compound job names each function once (its results are keyed by name)' };
  if (Object.keys(job.kwargs).length > 0)
    return {
      ok: false,
      message: "a compound job's keyword arguments go in each function's args, as {__kwarg__: true, ...}",
    };
  if (job.args.length !== funs.length || !job.args.every(Array.isArray))
    return { ok: false, message: `a compound job of ${funs.length} functions needs args as ${funs.length} lists` };
  const calls = funs.map((fun, i): FunctionCall => {
    const list = job.args[i] as unknown[];
    const last = list[list.length - 1];
    if (!isKwargObject(last)) return { fun, args: [...list], kwargs: {} };
    const kwargs = Object.fromEntries(Object.entries(last).filter(([k]) => k !== '__kwarg__'));
    return { fun, args: list.slice(0, -1), kwargs };
  });
  return { ok: true, calls };
}
