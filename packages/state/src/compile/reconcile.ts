import { StateErrorCode, where, type StateProblem } from '../errors.js';
import { isMapping } from '../helpers/data.js';
import { REQUISITES, type HighData, type HighState } from './types.js';

const MERGED_ON_EXTEND: ReadonlySet<string> = new Set<string>([...REQUISITES, 'listen']);
const IN_FORMS: Readonly<Record<string, string>> = {
  require_in: 'require',
  watch_in: 'watch',
  onchanges_in: 'onchanges',
  onfail_in: 'onfail',
  prereq_in: 'prereq',
  listen_in: 'listen',
};
const NOT_USED: ReadonlySet<string> = new Set<string>([
  ...REQUISITES,
  ...Object.keys(IN_FORMS),
  'listen',
  'use',
  'use_in',
  'name',
  'names',
  'order',
]);

const firstKey = (arg: unknown): string | undefined => (isMapping(arg) ? Object.keys(arg)[0] : undefined);

/**
 * Applies `extend:` entries to the states they name, as Salt's `reconcile_extend`: a function
 * name replaces the function, a requisite list is appended to, any other argument replaces the
 * argument of the same key, and a new module declaration is added whole.
 */
export function applyExtend(high: HighData, problems: StateProblem[]): void {
  for (const ext of high.extend) {
    const target = high.states.get(ext.id);
    if (target === undefined) {
      problems.push({
        code: StateErrorCode.EXTEND_MISSING,
        message:
          `Cannot extend ID '${ext.id}' in '${ext.sls}' (${where(ext.file, ext.line)}): it is not part of the high state ` +
          `(a missing include or a mistyped ID)`,
        file: ext.file,
        ...(ext.line === undefined ? {} : { line: ext.line }),
        ids: [ext.id],
      });
      continue;
    }
    for (const [mod, run] of ext.decls) {
      const current = target.decls.get(mod);
      if (current === undefined) {
        target.decls.set(mod, [...run]);
        continue;
      }
      for (const arg of run) extendArg(current, arg);
    }
  }
}

function extendArg(current: unknown[], arg: unknown): void {
  let updated = false;
  for (let i = 0; i < current.length; i++) {
    const held = current[i];
    if (typeof arg === 'string' && typeof held === 'string') {
      current[i] = arg;
      updated = true;
      continue;
    }
    const key = firstKey(arg);
    if (key === undefined || !isMapping(held)) continue;
    if (key === firstKey(held)) {
      if (MERGED_ON_EXTEND.has(key)) {
        current[i] = { [key]: [...asList(held[key]), ...asList((arg as Record<string, unknown>)[key])] };
      } else current[i] = arg;
      updated = true;
    } else if (key === 'name' && firstKey(held) === 'names') current[i] = arg;
  }
  if (!updated) current.push(arg);
}

/** A requisite value as a list (Salt wants a list; a lone item is taken as one). */
export function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The function-less arguments of a declaration, by key. */
function argKeys(args: readonly unknown[]): Set<string> {
  return new Set(args.map(firstKey).filter((k): k is string => k !== undefined));
}

/**
 * The states a requisite item names, as Salt's `find_name`: `{mod: x}` is the ID `x` or a
 * state of module `mod` whose `name` (or one of `names`) is `x`; `{sls: s}` every state of
 * SLS `s`; a bare string an ID or a name of any module.
 */
export function findTargets(high: HighData, item: unknown): Array<{ state: HighState; mod: string }> {
  const [mod, value] = isMapping(item) ? (Object.entries(item)[0] ?? ['', undefined]) : ['id', item];
  if (typeof value !== 'string') return [];
  const byId = high.states.get(value);
  if (mod === 'sls') {
    return [...high.states.values()]
      .filter((s) => s.sls === value)
      .map((s) => ({ state: s, mod: [...s.decls.keys()][0]! }));
  }
  if (byId !== undefined) {
    const m = mod === 'id' ? [...byId.decls.keys()][0] : mod;
    if (m !== undefined && byId.decls.has(m)) return [{ state: byId, mod: m }];
  }
  const out: Array<{ state: HighState; mod: string }> = [];
  for (const state of high.states.values()) {
    for (const [m, args] of state.decls) {
      if (mod !== 'id' && m !== mod) continue;
      const named = args.some((a) => {
        if (!isMapping(a)) return false;
        if (a['name'] === value) return true;
        return (
          Array.isArray(a['names']) && a['names'].some((n) => n === value || (isMapping(n) && Object.hasOwn(n, value)))
        );
      });
      if (named) out.push({ state, mod: m });
    }
  }
  return out;
}

function addRequisite(args: unknown[], type: string, entry: Record<string, string>): void {
  const at = args.findIndex((a) => firstKey(a) === type);
  if (at === -1) args.push({ [type]: [entry] });
  else args[at] = { [type]: [...asList((args[at] as Record<string, unknown>)[type]), entry] };
}

function copyArgs(from: readonly unknown[], to: unknown[]): void {
  const have = argKeys(to);
  for (const arg of from) {
    const key = firstKey(arg);
    if (key === undefined || NOT_USED.has(key) || have.has(key) || Object.keys(arg as object).length !== 1) continue;
    to.push(arg);
  }
}

/**
 * Turns every `_in` requisite into its plain form on the state it names, `prereq` into
 * `prerequired` on the pre-required state, and `use`/`use_in` into copied arguments, as Salt's
 * `requisite_in`. An `_in` or `use` naming no state is `ERR_STATE_REQUISITE_MISSING`.
 */
export function applyRequisiteIn(high: HighData, problems: StateProblem[]): void {
  for (const state of [...high.states.values()]) {
    for (const [mod, args] of state.decls) {
      for (const arg of [...args]) {
        const key = firstKey(arg);
        if (key === undefined || !(key in IN_FORMS || key === 'prereq' || key === 'use' || key === 'use_in')) continue;
        for (const item of asList((arg as Record<string, unknown>)[key])) {
          const targets = findTargets(high, item);
          if (targets.length === 0) {
            problems.push(missing(state, mod, key, item));
            continue;
          }
          for (const target of targets) {
            const targetArgs = target.state.decls.get(target.mod)!;
            const me = { [mod]: state.id };
            if (key === 'use') copyArgs(targetArgs, args);
            else if (key === 'use_in') copyArgs(args, targetArgs);
            else if (key === 'prereq') addRequisite(targetArgs, 'prerequired', me);
            else {
              addRequisite(targetArgs, IN_FORMS[key]!, me);
              if (key === 'prereq_in') addRequisite(args, 'prerequired', { [target.mod]: target.state.id });
            }
          }
        }
      }
    }
  }
}

/** A requisite that names no state, as a problem naming the ID, its file and line. */
export function missing(state: HighState, mod: string, type: string, item: unknown): StateProblem {
  const what = isMapping(item) ? Object.entries(item).map(([k, v]) => `${k}: ${String(v)}`)[0] : String(item);
  return {
    code: StateErrorCode.REQUISITE_MISSING,
    message:
      `The requisite '${type}' of ID '${state.id}' (${mod}) in SLS '${state.sls}' (${where(state.file, state.line)}) ` +
      `names '${what}', which no state defines`,
    file: state.file,
    ...(state.line === undefined ? {} : { line: state.line }),
    ids: [state.id],
  };
}

/**
 * Removes the states `exclude:` names, as Salt's `apply_exclude`: `- sls: name` (or a bare
 * string) drops every state of that SLS, `- id: x` the state `x`.
 */
export function applyExclude(high: HighData, extra: readonly unknown[] = []): void {
  const sls = new Set<string>();
  const ids = new Set<string>();
  for (const entry of [...high.exclude, ...extra]) {
    if (typeof entry === 'string') sls.add(entry);
    else if (isMapping(entry) && Object.keys(entry).length === 1) {
      if (typeof entry['sls'] === 'string') sls.add(entry['sls']);
      if (typeof entry['id'] === 'string') ids.add(entry['id']);
    }
  }
  for (const [id, state] of high.states) if (ids.has(id) || sls.has(state.sls)) high.states.delete(id);
}
