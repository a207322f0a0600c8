import {
  createRenderSession,
  createTemplateFunctions,
  dictUpdate,
  deepCopy,
  type FileReader,
  type FunctionCaller,
  type RenderSession,
} from '@brine/state';
import { MinionError, MinionErrorCode } from '../errors.js';
import { prepareCall } from '../modules/registry.js';
import type { ModuleContext } from '../modules/types.js';

/** What one state run renders with. */
export interface RenderSetup {
  session: RenderSession;
  grains: Record<string, unknown>;
  pillar: Record<string, unknown>;
  opts: Record<string, unknown>;
}

/** The inputs of {@link renderSetup}. */
export interface RenderSetupOptions {
  readFile: FileReader;
  /** The pillar the master compiled for this minion. */
  pillar: Record<string, unknown>;
  /** `pillar={...}` of the call, merged over it (Salt's pillar override). */
  override?: Record<string, unknown> | undefined;
  saltenv: string;
  test: boolean;
  /** Extra `opts` for templates (`file_client`, `id` ...). */
  opts?: Record<string, unknown>;
}

/**
 * Builds the render session of one state run: `grains` now, `pillar` with the call's override
 * merged in, `opts`, `saltenv`, and `salt` calling the minion's execution functions. The pure
 * template functions (`grains.filter_by`, `pillar.get`...) answer synchronously, so a render
 * never waits on them; any other function runs as a job would (same argument rules) and the
 * engine waits on its promise. `state.*` is refused from a template: it would wait on its own run.
 */
export function renderSetup(ctx: ModuleContext, options: RenderSetupOptions): RenderSetup {
  const grains = ctx.grains.all();
  const pillar =
    options.override === undefined ? options.pillar : dictUpdate(deepCopy(options.pillar), options.override);
  const opts = {
    id: grains['id'],
    saltenv: options.saltenv,
    test: options.test,
    cachedir: ctx.cacheDir,
    ...options.opts,
  };
  const pure = createTemplateFunctions({ grains, pillar, opts });
  const call: FunctionCaller = (fun, args, kwargs) => {
    const local = pure[fun];
    if (local !== undefined) return local(args, kwargs);
    if (fun.startsWith('state.')) {
      throw new MinionError(MinionErrorCode.stateNested, `${fun} cannot be called from a template of a state run`);
    }
    const prepared = prepareCall(ctx.registry, fun, args, kwargs);
    if (!prepared.ok) throw new MinionError(prepared.error.code, prepared.error.message);
    return prepared.fn.run(prepared.input, ctx).then((r) => r.ret);
  };
  const session = createRenderSession({
    readFile: options.readFile,
    call,
    grains,
    pillar,
    opts,
  });
  return { session, grains, pillar, opts };
}
