import { StateErrorCode, where, type StateProblem } from '../errors.js';
import { isMapping } from '../helpers/data.js';
import type { HighData, HighState, LowState } from './types.js';

function problem(state: HighState, message: string): StateProblem {
  return {
    code: StateErrorCode.STRUCTURE,
    message: `${message} in ID '${state.id}' of SLS '${state.sls}' (${where(state.file, state.line)})`,
    file: state.file,
    ...(state.line === undefined ? {} : { line: state.line }),
    ids: [state.id],
  };
}

/** The one function of a declaration and its arguments as a mapping, or a problem. */
function readDecl(
  state: HighState,
  mod: string,
  args: readonly unknown[],
): { fun: string; kw: Record<string, unknown> } | StateProblem {
  const funs = args.filter((a): a is string => typeof a === 'string');
  if (funs.length === 0) return problem(state, `No function declared in state '${mod}'`);
  if (funs.length > 1) return problem(state, `Too many functions declared in state '${mod}' (${funs.join(', ')})`);
  const kw: Record<string, unknown> = {};
  for (const arg of args) {
    if (typeof arg === 'string') continue;
    if (!isMapping(arg) || Object.keys(arg).length !== 1) {
      return problem(
        state,
        `An argument of state '${mod}' is not formed as a single key dictionary (${JSON.stringify(arg)})`,
      );
    }
    const [key, value] = Object.entries(arg)[0]!;
    if (key === 'state') continue;
    kw[key] = key === 'name' && typeof value !== 'string' && typeof value !== 'number' ? state.id : value;
  }
  return { fun: funs[0]!, kw };
}

/**
 * Compiles high data into low states, as Salt's `compile_high_data`: one low state per
 * (ID, module), or per name of `names:` (a name may carry its own arguments:
 * `- names: [{a: [{mode: 600}]}]`), `name` defaulting to the ID; then sorted by
 * {@link orderLowStates}.
 */
export function compileLowStates(high: HighData, problems: StateProblem[]): LowState[] {
  const lows: LowState[] = [];
  for (const state of high.states.values()) {
    for (const [mod, args] of state.decls) {
      const decl = readDecl(state, mod, args);
      if ('code' in decl) {
        problems.push(decl);
        continue;
      }
      const { names, name, ...kw } = decl.kw;
      const base: LowState = {
        state: mod,
        fun: decl.fun,
        name: name === undefined ? state.id : String(name),
        __id__: state.id,
        __sls__: state.sls,
        __env__: state.env,
        __file__: state.file,
        ...(state.line === undefined ? {} : { __line__: state.line }),
        order: 0,
        ...kw,
      };
      if (base.order === 0) delete (base as Partial<LowState>).order;
      if (!Array.isArray(names) || names.length === 0) {
        lows.push(base);
        continue;
      }
      names.forEach((entry, i) => {
        const live: LowState = { ...base, name_order: i + 1 };
        if (isMapping(entry)) {
          const [lowName, overrides] = Object.entries(entry)[0] ?? [String(entry), []];
          live.name = lowName;
          for (const o of Array.isArray(overrides) ? overrides : [overrides]) if (isMapping(o)) Object.assign(live, o);
        } else live.name = String(entry);
        lows.push(live);
      });
    }
  }
  return orderLowStates(lows);
}

/**
 * Salt's `order_chunks`: `order: first` is 0, `order: last` after everything, a negative
 * order counts back from the last; states without a number share one after the highest
 * number given; names of one ID keep their order; ties sort by `state`, `name`, `fun`.
 */
export function orderLowStates(lows: LowState[]): LowState[] {
  let cap = 1;
  for (const low of lows) {
    const o = low.order as unknown;
    if (typeof o === 'number' && Number.isInteger(o) && o > cap - 1 && o > 0) cap = o + 100;
  }
  const keyed = lows.map((low) => {
    const raw = low.order as unknown;
    let order = typeof raw === 'number' ? raw : raw === 'first' ? 0 : raw === 'last' ? cap + 1_000_000 : cap;
    if (typeof low['name_order'] === 'number') order += low['name_order'] / 10000;
    if (order < 0) order = cap + 1_000_000 + order;
    const { name_order: _n, ...rest } = low;
    return { low: { ...rest, order } as LowState, sortKey: `${low.state}${low.name}${low.fun}` };
  });
  keyed.sort((a, b) => a.low.order - b.low.order || (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  return keyed.map((k) => k.low);
}
