import { highToSalt, lowToSalt, topMatches } from '@brine/state';
import { z } from 'zod';
import {
  compileFor,
  readerFor,
  runStateJob,
  topMatcher,
  RETCODE_COMPILE_FAILED,
  type StateRuntime,
} from '../state-run/run-state.js';
import { renderSetup } from '../state-run/render-setup.js';
import type { CompileRequest } from '../state-run/compile-request.js';
import { modsList, runOptions, showOptions } from './state-args.js';
import { defineFunction, type ModuleContext, type ModuleFunction, type ModuleResult } from './types.js';

type RunInput = z.output<z.ZodObject<typeof runOptions>>;

const { pillar: _p, exclude: _e, ...singleOptions } = runOptions;

// Built once for the process: every minion of a swarm gets its own `state.*` functions (over its
// own state-run lock), and building these schemas per minion cost 0.24 ms and 30 KB each, 2.4 s
// and 300 MB for a swarm of 10,000 before its first connect.
const schemas = {
  apply: z.object({ mods: modsList.optional(), ...runOptions }),
  sls: z.object({ mods: modsList, ...runOptions }),
  highstate: z.object(runOptions),
  slsId: z.object({ id: z.string().min(1), mods: modsList, ...runOptions }),
  single: z
    .object({ fun: z.string().regex(/^\w+\.\w+$/), name: z.string().min(1), ...singleOptions })
    .catchall(z.unknown()),
  showSls: z.object({ mods: modsList, ...showOptions }),
  show: z.object(showOptions),
  showLowstate: z.object({ mods: modsList.optional(), ...showOptions }),
  running: z.object({}),
};

/** The saltenvs whose top files a highstate reads: `base`, and the one asked for. */
function envsOf(saltenv: string): string[] {
  return saltenv === 'base' ? ['base'] : ['base', saltenv];
}

function run(rt: StateRuntime, ctx: ModuleContext, fun: string, request: CompileRequest, a: RunInput) {
  return runStateJob(rt, ctx, fun, request, {
    test: a.test,
    pillar: a.pillar,
    exclude: a.exclude,
    queue: a.queue,
    saltenv: a.saltenv,
  });
}

async function show(
  rt: StateRuntime,
  ctx: ModuleContext,
  request: CompileRequest,
  a: { pillar?: Record<string, unknown> | undefined; saltenv: string },
  pick: 'high' | 'low',
): Promise<ModuleResult> {
  const { compiled } = await compileFor(rt, ctx, request, { test: false, pillar: a.pillar, saltenv: a.saltenv });
  if (!compiled.ok) {
    return { ret: compiled.problems.map((p) => p.message), retcode: RETCODE_COMPILE_FAILED, success: false };
  }
  return { ret: pick === 'high' ? highToSalt(compiled.high) : lowToSalt(compiled.lows) };
}

/**
 * The `state.*` execution functions over one minion's {@link StateRuntime}: they join the state
 * engine (`@brine/state`) to the minion's state functions, file server, grains and pillar.
 */
export function stateFunctions(rt: StateRuntime): ModuleFunction[] {
  const apply = defineFunction({
    name: 'state.apply',
    doc: `Applies SLS files (\`mods\`, comma-separated), or the highstate when none are given. Options:
test=True (change nothing, report what would change), pillar='{...}' (merged over the minion's
pillar), exclude=a,b (SLS names or {id: x}), saltenv=base, queue=True (wait for a running state
run instead of refusing). Each state's result is sent as progress while the run goes on.

CLI Example:

    brine '*' state.apply
    brine 'web*' state.apply nginx,users test=True pillar='{"nginx": {"port": 8080}}'`,
    params: ['mods'],
    schema: schemas.apply,
    run: async (a, ctx) =>
      a.mods === undefined || a.mods.length === 0
        ? run(rt, ctx, 'state.apply', { kind: 'highstate', envs: envsOf(a.saltenv) }, a)
        : run(rt, ctx, 'state.apply', { kind: 'sls', mods: a.mods, saltenv: a.saltenv }, a),
  });

  const sls = defineFunction({
    name: 'state.sls',
    doc: `Applies the given SLS files (comma-separated), with the options of state.apply.

CLI Example:

    brine '*' state.sls nginx test=True`,
    params: ['mods'],
    schema: schemas.sls,
    run: async (a, ctx) => run(rt, ctx, 'state.sls', { kind: 'sls', mods: a.mods, saltenv: a.saltenv }, a),
  });

  const highstate = defineFunction({
    name: 'state.highstate',
    doc: `Applies what the top files assign to this minion, with the options of state.apply.

CLI Example:

    brine '*' state.highstate`,
    params: [],
    schema: schemas.highstate,
    run: async (a, ctx) => run(rt, ctx, 'state.highstate', { kind: 'highstate', envs: envsOf(a.saltenv) }, a),
  });

  const test = defineFunction({
    name: 'state.test',
    doc: `state.apply with test=True: reports what would change, changes nothing.

CLI Example:

    brine '*' state.test nginx`,
    params: ['mods'],
    schema: schemas.apply,
    run: async (a, ctx) => apply.run({ ...a, test: true }, ctx),
  });

  const slsId = defineFunction({
    name: 'state.sls_id',
    doc: `Runs one state ID of the given SLS files, without its requisites.

CLI Example:

    brine '*' state.sls_id nginx-config nginx`,
    params: ['id', 'mods'],
    schema: schemas.slsId,
    run: async (a, ctx) =>
      run(rt, ctx, 'state.sls_id', { kind: 'sls_id', id: a.id, mods: a.mods, saltenv: a.saltenv }, a),
  });

  const single = defineFunction({
    name: 'state.single',
    doc: `Runs one state function with its arguments, without an SLS file.

CLI Example:

    brine '*' state.single pkg.installed name=vim
    brine '*' state.single file.managed /etc/motd contents='hello' test=True`,
    params: ['fun', 'name'],
    schema: schemas.single,
    run: async (a, ctx) => {
      const { fun, test: t, queue, saltenv, ...args } = a;
      return runStateJob(rt, ctx, 'state.single', { kind: 'single', fun, args, saltenv }, { test: t, queue, saltenv });
    },
  });

  const showSls = defineFunction({
    name: 'state.show_sls',
    doc: `Shows the high data of the given SLS files after rendering, as Salt prints it.

CLI Example:

    brine '*' state.show_sls nginx`,
    params: ['mods'],
    schema: schemas.showSls,
    run: async (a, ctx) => show(rt, ctx, { kind: 'sls', mods: a.mods, saltenv: a.saltenv }, a, 'high'),
  });

  const showHighstate = defineFunction({
    name: 'state.show_highstate',
    doc: `Shows the high data the top files assign to this minion.

CLI Example:

    brine '*' state.show_highstate`,
    params: [],
    schema: schemas.show,
    run: async (a, ctx) => show(rt, ctx, { kind: 'highstate', envs: envsOf(a.saltenv) }, a, 'high'),
  });

  const showLowstate = defineFunction({
    name: 'state.show_lowstate',
    doc: `Shows the low states (the ordered list a run executes) of the highstate, or of SLS files.

CLI Example:

    brine '*' state.show_lowstate
    brine '*' state.show_lowstate mods=nginx`,
    params: ['mods'],
    schema: schemas.showLowstate,
    run: async (a, ctx) =>
      show(
        rt,
        ctx,
        a.mods === undefined || a.mods.length === 0
          ? { kind: 'highstate', envs: envsOf(a.saltenv) }
          : { kind: 'sls', mods: a.mods, saltenv: a.saltenv },
        a,
        'low',
      ),
  });

  const showTop = defineFunction({
    name: 'state.show_top',
    doc: `Shows the SLS files the top files assign to this minion, per saltenv.

CLI Example:

    brine '*' state.show_top`,
    params: [],
    schema: schemas.show,
    run: async (a, ctx) => {
      const setup = renderSetup(ctx, {
        readFile: readerFor(rt, ctx),
        pillar: await rt.pillar(),
        override: a.pillar,
        saltenv: a.saltenv,
        test: false,
      });
      const top = await topMatches(setup.session, { envs: envsOf(a.saltenv), match: topMatcher(ctx) });
      if (top.problems.length > 0) {
        return { ret: top.problems.map((p) => p.message), retcode: RETCODE_COMPILE_FAILED, success: false };
      }
      const out: Record<string, string[]> = {};
      for (const m of top.matches) (out[m.env] ??= []).push(m.sls);
      return { ret: out };
    },
  });

  const running = defineFunction({
    name: 'state.running',
    doc: `Lists the state run in progress on this minion (and the runs queued behind it), as Salt does.

CLI Example:

    brine '*' state.running`,
    params: [],
    schema: schemas.running,
    run: async () => {
      const h = rt.lock.holder();
      const lines =
        h === undefined
          ? []
          : [`The function "${h.fun}" is running as jid ${h.jid}, started at ${new Date(h.startedAt).toISOString()}`];
      for (const q of rt.lock.queued()) lines.push(`The function "${q.fun}" is queued as jid ${q.jid}`);
      return { ret: lines };
    },
  });

  return [apply, sls, highstate, test, slsId, single, showSls, showHighstate, showLowstate, showTop, running];
}
