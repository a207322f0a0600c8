import { readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import {
  compileSls,
  createRenderSession,
  type CompileResult,
  type FileReader,
  type StateFunctionRegistry,
} from '@brine/state';
import { saltFunction, saltMasterCall, saltState, saltWaitForEvent, type StepDeps } from './salt-steps.js';
import { TEST_STEPS, type StepFunction } from './test-steps.js';

/** What an orchestration run is asked for: `state.orchestrate <mods> saltenv=... pillar=... test=...`. */
export interface OrchestrateRequest {
  /** SLS names (`orch.deploy`), or `salt://`/`brine://` paths (`salt://orch/deploy.sls`). */
  mods: readonly string[];
  /** @default 'base' */
  saltenv?: string;
  /** The request's `pillar=`, the only pillar an orchestration SLS sees. @default {} */
  pillar?: Readonly<Record<string, unknown>>;
}

/**
 * The state functions of an orchestration: Salt's `salt.function`, `salt.state`,
 * `salt.runner`, `salt.wheel`, `salt.wait_for_event` and the `test.*` states, each run on the
 * master through `deps` (so as the calling user). No function has a `mod_watch`: a `watch`
 * acts as `require`, as the engine does for any state without one.
 */
export function orchestrateRegistry(deps: StepDeps): StateFunctionRegistry {
  const steps: Record<string, StepFunction> = {
    ...TEST_STEPS,
    'salt.function': saltFunction(deps),
    'salt.state': saltState(deps),
    'salt.runner': saltMasterCall(deps, 'runner'),
    'salt.wheel': saltMasterCall(deps, 'wheel'),
    'salt.wait_for_event': saltWaitForEvent(deps),
  };
  return {
    has: (fun) => Object.hasOwn(steps, fun),
    call: (call, ctx) => steps[call.fun]!(call.args, ctx),
  };
}

/** `salt://orch/deploy.sls` or `orch/deploy` as the SLS name `orch.deploy`; a name stays as it is. */
export function slsName(mod: string): string {
  const path = mod.replace(/^(?:brine|salt):\/\//, '');
  if (path === mod && !mod.includes('/')) return mod.replace(/\.sls$/, '');
  return path
    .replace(/^\/+/, '')
    .replace(/\.sls$/, '')
    .replace(/\/init$/, '')
    .split('/')
    .join('.');
}

/**
 * A {@link FileReader} over the master's file roots, first root first: saltenv `base` is each
 * root, another saltenv `<root>/<saltenv>`, as the file server lays them out for minions. A path
 * that leaves its root reads as missing.
 */
export function rootsReader(roots: readonly string[]): FileReader {
  return async (saltenv, path) => {
    const clean = path.replace(/^(?:brine|salt):\/\//, '').replace(/^\/+/, '');
    for (const root of roots) {
      const base = resolve(saltenv === 'base' ? root : join(root, saltenv));
      const file = resolve(base, clean);
      const back = relative(base, file);
      if (back === '' || back === '..' || back.startsWith(`..${sep}`)) continue;
      try {
        return await readFile(file, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') throw err;
      }
    }
    return undefined;
  };
}

/**
 * Renders and compiles an orchestration's SLS files on the master with `packages/state`. The
 * templates see `pillar` (the request's), `opts` and `saltenv`, no grains (the master has none)
 * and no execution functions. Answers the compile problems rather than rejecting.
 */
export function compileOrchestration(
  roots: readonly string[],
  request: OrchestrateRequest,
  opts: Readonly<Record<string, unknown>> = {},
): Promise<CompileResult> {
  const saltenv = request.saltenv ?? 'base';
  const session = createRenderSession({
    readFile: rootsReader(roots),
    grains: {},
    pillar: request.pillar ?? {},
    opts: { ...opts, saltenv },
    call: (fun) => {
      throw new Error(`orchestration templates cannot call execution functions (${fun})`);
    },
  });
  return compileSls(
    session,
    request.mods.map((m) => ({ env: saltenv, sls: slsName(m) })),
    { context: { saltenv } },
  );
}
