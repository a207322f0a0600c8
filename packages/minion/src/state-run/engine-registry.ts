import type { StateCall, StateCallContext, StateFunctionRegistry, StateReturn } from '@brine/state';
import { unknownStateArgs } from '../states/registry.js';
import type { StateContext, StateFunction } from '../states/types.js';

/**
 * The engine's {@link StateFunctionRegistry} over the minion's state functions. Each call
 * validates the low state's arguments with the function's schema (a bad argument is a failed
 * result naming the argument, the file and the line), warns about arguments the function does
 * not take (as Salt does), and runs it, or its `mod_watch`, with `base` made to the call's test
 * flag and abort signal.
 */
export function engineRegistry(states: ReadonlyMap<string, StateFunction>, base: StateContext): StateFunctionRegistry {
  const watchers = new Map<string, StateFunction>();
  for (const fn of states.values()) {
    if (fn.modWatch !== undefined) watchers.set(`${fn.name.slice(0, fn.name.indexOf('.'))}.mod_watch`, fn);
  }
  return {
    has: (fun) => states.has(fun) || watchers.has(fun),
    call: (call, ctx) => callState(states, watchers, base, call, ctx),
  };
}

async function callState(
  states: ReadonlyMap<string, StateFunction>,
  watchers: ReadonlyMap<string, StateFunction>,
  base: StateContext,
  call: StateCall,
  ctx: StateCallContext,
): Promise<StateReturn> {
  const watch = call.fun.endsWith('.mod_watch');
  const declared =
    watch && ctx.sfun !== undefined ? `${call.fun.slice(0, call.fun.indexOf('.'))}.${ctx.sfun}` : call.fun;
  const fn = (watch ? states.get(declared) : undefined) ?? states.get(call.fun) ?? watchers.get(call.fun);
  const where = call.low.__line__ === undefined ? call.low.__file__ : `${call.low.__file__}:${call.low.__line__}`;
  if (fn === undefined)
    return { result: false, comment: `State '${call.fun}' is not available (${where})`, changes: {} };
  const parsed = fn.args.safeParse(call.args);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`);
    return {
      result: false,
      comment: `Invalid arguments to ${declared} in ${where}: ${issues.join('; ')}`,
      changes: {},
    };
  }
  const sctx: StateContext = { ...base, test: ctx.test, signal: AbortSignal.any([base.signal, ctx.signal]) };
  const out =
    watch && fn.modWatch !== undefined ? await fn.modWatch(parsed.data, sctx) : await fn.run(parsed.data, sctx);
  const unknown = unknownStateArgs(fn, call.args);
  if (unknown.length === 0) return out;
  const warning = `${declared} in ${where} does not take ${unknown.map((k) => `'${k}'`).join(', ')}: ignored`;
  return { ...out, comment: out.comment === '' ? warning : `${out.comment}\n${warning}` };
}
