import { StateError, StateErrorCode, where, type StateProblem } from '../errors.js';
import { isMapping } from '../helpers/data.js';
import { slsCandidates, slsContext } from '../render/paths.js';
import type { RenderSession } from '../render/render-session.js';
import { readSlsData } from './sls-data.js';
import type { ExtendEntry, HighData, HighState } from './types.js';

/** One SLS to render: a dotted name in a saltenv. */
export interface SlsRequest {
  env: string;
  sls: string;
}

/** The high data of a set of SLS and their includes, with every problem found on the way. */
export interface RenderedTree {
  high: HighData;
  problems: StateProblem[];
}

interface TreeContext {
  session: RenderSession;
  /** `env:sls` already rendered (Salt's `mods`): each SLS renders once per run. */
  mods: Set<string>;
  problems: StateProblem[];
  extend: ExtendEntry[];
  exclude: unknown[];
  /** Salt's `iorder`: the auto order given to each state declaration without `order`. */
  iorder: { next: number };
  context: Readonly<Record<string, unknown>>;
}

/** Options of {@link renderSlsTree}. */
export interface RenderTreeOptions {
  /** Template variables given to every SLS besides Salt's (`sls`, `tpldir`...). */
  context?: Readonly<Record<string, unknown>>;
}

/**
 * Renders SLS files and everything they include into one high data, as Salt's
 * `render_highstate`: includes first (so their states come first in auto order), relative
 * includes (`.sub`, `..other`) resolved against the including SLS, each SLS once, and an ID
 * defined by two files reported as `ERR_STATE_DUPLICATE_ID` naming both.
 */
export async function renderSlsTree(
  session: RenderSession,
  requests: readonly SlsRequest[],
  options: RenderTreeOptions = {},
): Promise<RenderedTree> {
  const ctx: TreeContext = {
    session,
    mods: new Set(),
    problems: [],
    extend: [],
    exclude: [],
    // Salt starts auto order at 10000, so an explicit `order: 1` runs before every unordered state.
    iorder: { next: 10000 },
    context: options.context ?? {},
  };
  const states = new Map<string, HighState>();
  for (const request of requests) {
    if (ctx.mods.has(`${request.env}:${request.sls}`)) continue;
    const rendered = await renderSls(ctx, request, undefined);
    mergeStates(states, rendered, ctx.problems);
  }
  return { high: { states, extend: ctx.extend, exclude: ctx.exclude }, problems: ctx.problems };
}

async function findSls(ctx: TreeContext, request: SlsRequest): Promise<string | undefined> {
  for (const candidate of slsCandidates(request.sls)) {
    if ((await ctx.session.read(request.env, candidate)) !== undefined) return candidate;
  }
  return undefined;
}

async function renderSls(
  ctx: TreeContext,
  request: SlsRequest,
  includedFrom: { file: string; line: number | undefined } | undefined,
): Promise<Map<string, HighState>> {
  ctx.mods.add(`${request.env}:${request.sls}`);
  const own = new Map<string, HighState>();
  const file = await findSls(ctx, request).catch((err: unknown) => {
    ctx.problems.push(asProblem(err, request.sls));
    return null;
  });
  if (file === null) return own;
  if (file === undefined) {
    const [a, b] = slsCandidates(request.sls);
    const from = includedFrom === undefined ? '' : `, included from ${where(includedFrom.file, includedFrom.line)}`;
    ctx.problems.push({
      code: StateErrorCode.SLS_NOT_FOUND,
      message: `No SLS '${request.sls}' in saltenv '${request.env}' (no ${a} or ${b})${from}`,
      ...(includedFrom === undefined ? {} : { file: includedFrom.file }),
      ...(includedFrom?.line === undefined ? {} : { line: includedFrom.line }),
    });
    return own;
  }
  let rendered;
  try {
    rendered = await ctx.session.renderData({
      saltenv: request.env,
      path: file,
      context: { ...ctx.context, ...slsContext(request.sls, file) },
    });
  } catch (err) {
    ctx.problems.push(asProblem(err, file));
    return own;
  }
  const parts = readSlsData(rendered.data, { sls: request.sls, env: request.env, file, keyLines: rendered.keyLines });
  ctx.problems.push(...parts.problems);
  ctx.extend.push(...parts.extend);
  ctx.exclude.push(...parts.exclude);
  for (const state of parts.states) own.set(state.id, state);
  const includeLine = rendered.keyLines.get('include');
  for (const entry of parts.include) {
    const target = resolveInclude(entry, request, file);
    if (typeof target === 'string') {
      ctx.problems.push({
        code: StateErrorCode.INCLUDE,
        message: `${target} (${where(file, includeLine)})`,
        file,
        ...(includeLine === undefined ? {} : { line: includeLine }),
      });
      continue;
    }
    if (ctx.mods.has(`${target.env}:${target.sls}`)) continue;
    const included = await renderSls(ctx, target, { file, line: includeLine });
    mergeStates(own, included, ctx.problems);
  }
  applyAutoOrder(own, ctx.iorder);
  return own;
}

/** The SLS an `include:` entry names, or why it names none. */
function resolveInclude(entry: unknown, from: SlsRequest, file: string): SlsRequest | string {
  let env = from.env;
  let name = entry;
  if (isMapping(entry) && Object.keys(entry).length === 1) {
    [env, name] = Object.entries(entry)[0] as [string, unknown];
  }
  if (typeof name !== 'string' || name === '')
    return `Include ${JSON.stringify(entry)} in SLS '${from.sls}' is not an SLS name`;
  if (!name.startsWith('.')) return { env, sls: name };
  const [, dots = '', rest = ''] = /^(\.+)(.*)$/.exec(name) ?? [];
  const comps = from.sls.split('.');
  if (file.endsWith('/init.sls')) comps.push('init');
  if (dots.length > comps.length) {
    return `Attempted relative include of '${name}' within SLS '${from.env}:${from.sls}' goes beyond top level package`;
  }
  return { env, sls: [...comps.slice(0, comps.length - dots.length), rest].filter((s) => s !== '').join('.') };
}

/** Salt's `_handle_iorder`: each declaration without `order` gets the next auto order. */
function applyAutoOrder(states: Map<string, HighState>, iorder: { next: number }): void {
  for (const state of states.values()) {
    for (const args of state.decls.values()) {
      if (args.some((a) => isMapping(a) && Object.keys(a)[0] === 'order')) continue;
      args.push({ order: iorder.next++ });
    }
  }
}

function mergeStates(into: Map<string, HighState>, from: Map<string, HighState>, problems: StateProblem[]): void {
  for (const [id, state] of from) {
    const existing = into.get(id);
    if (existing !== undefined && existing !== state) {
      problems.push({
        code: StateErrorCode.DUPLICATE_ID,
        message:
          `Detected conflicting IDs, SLS IDs need to be globally unique: '${id}' is in SLS ` +
          `'${existing.env}:${existing.sls}' (${where(existing.file, existing.line)}) and SLS ` +
          `'${state.env}:${state.sls}' (${where(state.file, state.line)})`,
        file: state.file,
        ...(state.line === undefined ? {} : { line: state.line }),
        ids: [id],
      });
      continue;
    }
    into.set(id, state);
  }
}

/** A caught render error as a problem. */
export function asProblem(err: unknown, file: string): StateProblem {
  if (err instanceof StateError) return err.toProblem();
  return {
    code: StateErrorCode.TEMPLATE,
    message: `${file}: ${err instanceof Error ? err.message : String(err)}`,
    file,
  };
}
