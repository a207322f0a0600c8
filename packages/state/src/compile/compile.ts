import { StateErrorCode, type StateProblem } from '../errors.js';
import type { RenderSession } from '../render/render-session.js';
import { compileLowStates } from './compile-low.js';
import { planStates, type StatePlan } from './plan.js';
import { applyExclude, applyExtend, applyRequisiteIn } from './reconcile.js';
import { renderSlsTree, type SlsRequest } from './render-tree.js';
import { topMatches, type TopOptions } from './top.js';
import { REQUISITES, type HighData, type HighState, type LowState } from './types.js';

/** A compiled run, or every problem that stopped it. */
export type CompileResult =
  { ok: true; high: HighData; lows: LowState[]; plan: StatePlan } | { ok: false; problems: StateProblem[] };

/** Options of {@link compileSls} and {@link compileHighstate}. */
export interface CompileOptions {
  /** Template variables given to every SLS. */
  context?: Readonly<Record<string, unknown>>;
  /** Extra excludes (`state.apply exclude=...`): SLS names, `{sls: x}` or `{id: y}`. */
  exclude?: readonly unknown[];
}

/**
 * Compiles high data to a plan, as Salt's `call_high`: extends, then `_in` requisites, then
 * excludes, then low states in order, then the requisite graph. Mutates `high`.
 */
export function compileHighData(high: HighData, exclude: readonly unknown[] = []): CompileResult {
  const problems: StateProblem[] = [];
  applyExtend(high, problems);
  if (problems.length > 0) return { ok: false, problems };
  applyRequisiteIn(high, problems);
  applyExclude(high, exclude);
  const lows = compileLowStates(high, problems);
  const plan = planStates(lows, problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, high, lows, plan };
}

/** Renders and compiles the given SLS (`state.sls a,b`) with their includes. */
export async function compileSls(
  session: RenderSession,
  requests: readonly SlsRequest[],
  options: CompileOptions = {},
): Promise<CompileResult> {
  const { high, problems } = await renderSlsTree(
    session,
    requests,
    options.context === undefined ? {} : { context: options.context },
  );
  if (problems.length > 0) return { ok: false, problems };
  return compileHighData(high, options.exclude);
}

/** Reads the top files and compiles what they assign to this minion (`state.highstate`). */
export async function compileHighstate(
  session: RenderSession,
  top: TopOptions,
  options: CompileOptions = {},
): Promise<CompileResult> {
  const { matches, problems } = await topMatches(session, top);
  if (problems.length > 0) return { ok: false, problems };
  return compileSls(session, matches, options);
}

/**
 * Compiles one state from a function and its arguments, as `state.single pkg.installed
 * name=vim`: its ID and default name are `name`, its SLS `single`. Requisites in `args` must
 * name the state itself or nothing, so they are dropped.
 */
export function compileSingle(fun: string, args: Readonly<Record<string, unknown>>, saltenv = 'base'): CompileResult {
  const dot = fun.indexOf('.');
  const name = args['name'];
  if (dot <= 0 || typeof name !== 'string' || name === '') {
    return {
      ok: false,
      problems: [
        { code: StateErrorCode.STRUCTURE, message: `state.single needs module.function and a name (got '${fun}')` },
      ],
    };
  }
  const decl: unknown[] = Object.entries(args)
    .filter(([key]) => !(REQUISITES as readonly string[]).includes(key) && !key.endsWith('_in'))
    .map(([key, value]) => ({ [key]: value }));
  decl.push(fun.slice(dot + 1));
  const state: HighState = {
    id: name,
    sls: 'single',
    env: saltenv,
    file: '<single>',
    line: undefined,
    decls: new Map([[fun.slice(0, dot), decl]]),
  };
  return compileHighData({ states: new Map([[name, state]]), extend: [], exclude: [] });
}
