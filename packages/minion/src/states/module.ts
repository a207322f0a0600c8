import { z } from 'zod';
import { errorText, stateResult } from './result.js';
import { defineState, type StateContext, type StateFunction, type StateResult } from './types.js';

/** One call: a function with positional and keyword arguments. */
interface Call {
  fun: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
}

const FUNCTION_NAME = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/i;

/** `module.run`: runs execution functions as a state. */
export const run = defineState({
  name: 'module.run',
  doc: `Runs one or more execution functions. Salt's current form lists the functions as keys,
each with a list of positional values and \`key: value\` items (or a mapping of keyword
arguments); the legacy form names one function as \`name\` with \`args\`/\`kwargs\` (\`m_name\` for
its own \`name\` argument). A failed call or a non-zero retcode fails the state. Changes: the
return of each function, under its name (legacy form: under \`ret\`).

SLS Example:

    refresh-grains:
      module.run:
        - grains.setval:
          - key: role
          - val: web`,
  args: z.object({ name: z.string() }).loose(),
  run: async (a, ctx) => {
    const calls = callsOf(a);
    if (calls.length === 0) return stateResult(a.name, { result: false, comment: 'No function provided.' });
    const names = calls.map((c) => c.fun).join(', ');
    if (ctx.test) {
      return stateResult(a.name, {
        result: null,
        comment: `Module function ${names} is set to be executed`,
        changes: {},
      });
    }
    return runCalls(a.name, calls, FUNCTION_NAME.test(a.name) && calls.length === 1 && isLegacy(a), ctx);
  },
});

async function runCalls(
  name: string,
  calls: readonly Call[],
  legacy: boolean,
  ctx: StateContext,
): Promise<StateResult> {
  const changes: Record<string, unknown> = {};
  const failures: string[] = [];
  for (const call of calls) {
    try {
      const r = await ctx.call(call.fun, call.args, call.kwargs);
      changes[legacy ? 'ret' : call.fun] = r.ret;
      if ((r.retcode ?? 0) !== 0 || r.success === false)
        failures.push(`'${call.fun}' failed: retcode ${r.retcode ?? 1}`);
    } catch (err) {
      failures.push(`'${call.fun}' failed: ${errorText(err)}`);
    }
  }
  if (failures.length > 0) return stateResult(name, { result: false, comment: failures.join('\n'), changes });
  const names = calls.map((c) => c.fun).join(', ');
  return stateResult(name, { comment: `Module function ${names} executed`, changes });
}

/** Salt's legacy form: `name` is the function and there are no function keys. */
function isLegacy(a: Record<string, unknown>): boolean {
  return !Object.keys(a).some((k) => k !== 'name' && FUNCTION_NAME.test(k));
}

/** The calls a `module.run` state asks for, in either form. */
export function callsOf(a: Record<string, unknown> & { name: string }): Call[] {
  if (isLegacy(a)) {
    if (!FUNCTION_NAME.test(a.name)) return [];
    const kwargs = { ...(isRecord(a.kwargs) ? a.kwargs : {}) };
    if (typeof a.m_name === 'string') kwargs.name = a.m_name;
    return [{ fun: a.name, args: Array.isArray(a.args) ? a.args : [], kwargs }];
  }
  return Object.entries(a)
    .filter(([k]) => k !== 'name' && FUNCTION_NAME.test(k))
    .map(([fun, spec]) => ({ fun, ...splitArgs(spec) }));
}

/** `[1, {key: v}]` → positional `[1]` and keywords `{key: v}`; a mapping is all keywords. */
function splitArgs(spec: unknown): { args: unknown[]; kwargs: Record<string, unknown> } {
  if (isRecord(spec)) return { args: [], kwargs: { ...spec } };
  const args: unknown[] = [];
  const kwargs: Record<string, unknown> = {};
  for (const item of Array.isArray(spec) ? spec : spec === null || spec === undefined ? [] : [spec]) {
    const entries = isRecord(item) ? Object.entries(item) : [];
    if (entries.length === 1) kwargs[entries[0]![0]] = entries[0]![1];
    else args.push(item);
  }
  return { args, kwargs };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The `module.*` state functions. */
export const moduleStates: readonly StateFunction[] = [run];
