import { TargetType, type TargetTypeValue } from '@brine/protocol';
import { z } from 'zod';
import { MinionError, MinionErrorCode } from '../errors.js';
// A cycle (registry lists this module), used only inside functions: safe in ESM.
import { prepareCall } from './registry.js';
import { defineFunction, type ModuleContext, type ModuleFunction } from './types.js';

const FUN = z.string().min(1).max(128);
const TARGET_TYPES = Object.values(TargetType) as [TargetTypeValue, ...TargetTypeValue[]];

/** One `mine_functions` entry as a call: `{fun: [args]}`, `{alias: [{mine_function: fun}, args...]}`, `{fun: {kwargs}}`. */
function callOf(alias: string, spec: unknown): { fun: string; args: unknown[]; kwargs: Record<string, unknown> } {
  let fun = alias;
  const args: unknown[] = [];
  const kwargs: Record<string, unknown> = {};
  const items = Array.isArray(spec) ? spec : spec === null || spec === undefined ? [] : [spec];
  for (const item of items) {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      for (const [k, v] of Object.entries(item)) {
        if (k === 'mine_function' && typeof v === 'string') fun = v;
        else kwargs[k] = v;
      }
    } else args.push(item);
  }
  return { fun, args, kwargs };
}

/** Runs one function as a job would (validated arguments, this job's context); its return, or its error as data. */
async function runOne(ctx: ModuleContext, call: ReturnType<typeof callOf>): Promise<{ ok: boolean; ret: unknown }> {
  const prepared = prepareCall(ctx.registry, call.fun, call.args, call.kwargs);
  if (!prepared.ok) return { ok: false, ret: prepared.error };
  try {
    const out = await prepared.fn.run(prepared.input, ctx);
    return { ok: (out.success ?? (out.retcode ?? 0) === 0) === true, ret: out.ret };
  } catch (err) {
    return {
      ok: false,
      ret: err instanceof MinionError ? err.toWire() : { code: MinionErrorCode.function, message: String(err) },
    };
  }
}

const update = defineFunction({
  name: 'mine.update',
  doc: `Runs the mine_functions (minion config, with pillar's mine_functions merged over them) and
replaces this minion's mine entries on the master with their results. Returns {alias: true|error}.

CLI Example:

    brine '*' mine.update`,
  params: [],
  schema: z.object({}),
  run: async (_input, ctx) => {
    let fromPillar: unknown;
    try {
      fromPillar = (await ctx.pillar.items())['mine_functions'];
    } catch {
      fromPillar = undefined; // a pillar that did not compile adds no mine functions
    }
    const functions = {
      ...ctx.mine.configured(),
      ...(typeof fromPillar === 'object' && fromPillar !== null ? fromPillar : {}),
    };
    const data: Record<string, unknown> = {};
    const report: Record<string, unknown> = {};
    for (const [alias, spec] of Object.entries(functions)) {
      const result = await runOne(ctx, callOf(alias, spec));
      if (result.ok) data[alias] = result.ret;
      report[alias] = result.ok ? true : result.ret;
    }
    await ctx.mine.update(data, true);
    return { ret: report };
  },
});

const send = defineFunction({
  name: 'mine.send',
  doc: `Runs one function and stores its result in this minion's mine under its name (or
\`mine_function\`'s alias). Returns true.

CLI Example:

    brine 'web*' mine.send network.ip_addrs eth0
    brine 'web*' mine.send web_ips mine_function=network.ip_addrs`,
  params: ['name'],
  rest: 'args',
  schema: z.object({ name: FUN, args: z.array(z.unknown()).default([]), mine_function: FUN.optional() }),
  run: async ({ name, args, mine_function }, ctx) => {
    const result = await runOne(ctx, { fun: mine_function ?? name, args, kwargs: {} });
    if (!result.ok) return { ret: result.ret, retcode: 1 };
    await ctx.mine.update({ [name]: result.ret }, false);
    return { ret: true };
  },
});

const get = defineFunction({
  name: 'mine.get',
  doc: `Returns {minion id: data} of \`fun\` from the mine entries of the minions \`tgt\` selects
(\`tgt_type\` glob by default), as far as the master's mine_access allows this minion.

CLI Example:

    brine 'lb*' mine.get 'web*' network.ip_addrs
    brine 'lb*' mine.get 'G@role:web' network.ip_addrs tgt_type=compound`,
  params: ['tgt', 'fun', 'tgt_type'],
  schema: z.object({
    tgt: z.union([z.string().min(1).max(4096), z.array(z.string()).max(10_000)]),
    fun: FUN,
    tgt_type: z.enum(TARGET_TYPES).default('glob'),
  }),
  run: async ({ tgt, fun, tgt_type }, ctx) => ({ ret: await ctx.mine.get(tgt, fun, tgt_type) }),
});

const del = defineFunction({
  name: 'mine.delete',
  doc: `Removes this minion's mine entry for \`fun\`. Returns whether there was one.

CLI Example:

    brine '*' mine.delete network.ip_addrs`,
  params: ['fun'],
  schema: z.object({ fun: FUN }),
  run: async ({ fun }, ctx) => ({ ret: await ctx.mine.delete(fun) }),
});

const flush = defineFunction({
  name: 'mine.flush',
  doc: `Removes every mine entry of this minion. Returns whether there were any.

CLI Example:

    brine '*' mine.flush`,
  params: [],
  schema: z.object({}),
  run: async (_input, ctx) => ({ ret: await ctx.mine.delete() }),
});

/** The `mine.*` functions: update, send, get, delete, flush. */
export const mineFunctions: readonly ModuleFunction[] = [update, send, get, del, flush];
