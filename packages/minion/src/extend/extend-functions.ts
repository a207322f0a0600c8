import { z } from 'zod';
import { ErrorCode, type ExtendKind } from '@brine/protocol';
import { MinionError } from '../errors.js';
import { createStateContext } from '../states/context.js';
import type { StateFunction } from '../states/types.js';
import { defineFunction, type ModuleFunction } from '../modules/types.js';

/** What the `saltutil.sync_*` functions reach: the extension manager's public face. */
export interface ExtendControl {
  sync(kind: ExtendKind): Promise<unknown>;
  syncAll(): Promise<unknown>;
  clear(): Promise<void>;
  notLoaded(kind: ExtendKind): { name: string; declined?: string; failed?: string }[];
  beacons(): readonly { name: string; config: z.ZodType; check(ctx: never): unknown }[];
}

function syncFunction(kind: ExtendKind, x: ExtendControl): ModuleFunction {
  return defineFunction({
    name: `saltutil.sync_${kind}`,
    doc: `Fetches the custom ${kind} from the master's \`_${kind}/\`, checks each file against the
master's signed listing, installs them and reloads them without dropping the connection or any
running job. Returns {${kind}: {changed, removed, failed, declined}}.

CLI Example:

    brine '*' saltutil.sync_${kind}`,
    params: [],
    schema: z.object({ refresh: z.boolean().default(true) }),
    run: async () => ({ ret: { [kind]: await x.sync(kind) } }),
  });
}

/**
 * The functions of the extension system: `saltutil.sync_{modules,states,grains,beacons,all}`,
 * `saltutil.clear_cache`, `saltutil.call_state` (one state function called directly, for
 * minions without `state.apply`), `saltutil.run_beacon`, and a `sys.list_modules` that also
 * lists the custom modules that declined or failed to load.
 */
export function extendFunctions(
  x: ExtendControl,
  deps: { stateRegistry: ReadonlyMap<string, StateFunction>; listModules: ModuleFunction | undefined },
): ModuleFunction[] {
  const syncAll = defineFunction({
    name: 'saltutil.sync_all',
    doc: `Syncs custom grains, modules, states and beacons from the master, in that order (grains
first, so that virtual() hooks see them).
Returns {modules: ..., states: ..., grains: ..., beacons: ...}.

CLI Example:

    brine '*' saltutil.sync_all`,
    params: [],
    schema: z.object({ refresh: z.boolean().default(true) }),
    run: async () => ({ ret: await x.syncAll() }),
  });
  const clearCache = defineFunction({
    name: 'saltutil.clear_cache',
    doc: `Removes every synced custom extension from this minion and goes back to the built-ins.
Returns true.

CLI Example:

    brine '*' saltutil.clear_cache`,
    params: [],
    schema: z.object({}),
    run: async () => {
      await x.clear();
      return { ret: true };
    },
  });
  const callState = defineFunction({
    name: 'saltutil.call_state',
    doc: `Runs one state function directly, built-in or custom, as \`state.single\` would:
fun, name, then the state's keyword arguments; test=True reports what would change.

CLI Example:

    brine '*' saltutil.call_state myapp.deployed /srv/app version=1.2 test=True`,
    params: ['fun', 'name'],
    schema: z
      .object({ fun: z.string().min(3), name: z.string(), test: z.boolean().default(false) })
      .catchall(z.unknown()),
    run: async ({ fun, name, test, ...rest }, ctx) => {
      const state = deps.stateRegistry.get(fun);
      if (!state) throw new MinionError(ErrorCode.FUNCTION_UNKNOWN, `state function '${fun}' is not available`);
      const args = state.args.safeParse({ ...rest, name });
      if (!args.success)
        throw new MinionError(
          ErrorCode.ARGS_INVALID,
          `${fun}: ${args.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      const sctx = createStateContext(ctx, {
        test,
        render: () => Promise.reject(new Error('templates need state.apply')),
        pillar: {},
      });
      const result = await state.run(args.data, sctx);
      return { ret: result, retcode: result.result === false ? 1 : 0 };
    },
  });
  const runBeacon = defineFunction({
    name: 'saltutil.run_beacon',
    doc: `Runs one check of a synced custom beacon with the given configuration and returns the
events it would fire, without firing them.

CLI Example:

    brine '*' saltutil.run_beacon disk_free config='{"path": "/", "min_free_pct": 10}'`,
    params: ['name'],
    schema: z.object({ name: z.string(), config: z.unknown().default({}) }),
    run: async ({ name, config }, ctx) => {
      const beacon = x.beacons().find((b) => b.name === name);
      if (!beacon) throw new MinionError(ErrorCode.FUNCTION_UNKNOWN, `beacon '${name}' is not loaded`);
      const parsed = beacon.config.safeParse(config);
      if (!parsed.success)
        throw new MinionError(
          ErrorCode.ARGS_INVALID,
          `${name}: config: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        );
      const check = beacon.check as (c: unknown) => unknown;
      return { ret: await check({ config: parsed.data, grains: ctx.grains.all(), log: ctx.log, signal: ctx.signal }) };
    },
  });
  const out: ModuleFunction[] = [
    ...(['modules', 'states', 'grains', 'beacons'] as const).map((k) => syncFunction(k, x)),
    syncAll,
    clearCache,
    callState,
    runBeacon,
  ];
  const base = deps.listModules;
  if (base)
    out.push({
      ...base,
      doc: `${base.doc}

Custom modules that declined (their virtual() hook) or failed to load follow the names as
{name, declined} or {name, failed}.`,
      run: async (input, ctx) => {
        const names = (await base.run(input, ctx)).ret as string[];
        return { ret: [...names, ...x.notLoaded('modules')] };
      },
    });
  return out;
}
