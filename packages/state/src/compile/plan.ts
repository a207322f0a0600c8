import { StateErrorCode, where, type StateProblem } from '../errors.js';
import { isMapping } from '../helpers/data.js';
import { compileFnmatch } from '../helpers/fnmatch.js';
import { asList } from './reconcile.js';
import { REQUISITES, stateKey, type LowState, type RequisiteType } from './types.js';

/** An edge of the plan: this node needs the result of `node`, read as a `type` requisite. */
export interface PlanDep {
  type: RequisiteType;
  node: number;
}

/**
 * A node of the run graph: a low state, or the test run of a pre-required state that a
 * `prereq` reads (Salt's `self.pre`), which is never reported on its own.
 */
export interface PlanNode {
  index: number;
  low: LowState;
  key: string;
  /** For a test-run node, the index of the state it test-runs. */
  pretestOf?: number;
  parallel: boolean;
  deps: PlanDep[];
}

/** A `listen`: when any of `targets` changed, the listener's `mod_watch` runs after the run. */
export interface ListenSpec {
  listener: number;
  targets: number[];
}

/**
 * The compiled run: the nodes, the order the single runner walks them in (Salt's: each state
 * in `order`, its requisites first), and the listeners. Plain data, so it can be shown
 * (`state.show_lowstate`) and reused for several runs.
 */
export interface StatePlan {
  nodes: PlanNode[];
  /** Node indices in walk order; a serial node starts after the serial node before it. */
  sequence: number[];
  /** The number of low states (nodes `0..stateCount-1`); the rest are test-run nodes. */
  stateCount: number;
  listeners: ListenSpec[];
}

function describe(low: LowState): string {
  return `'${low.__id__}' (${where(low.__file__, low.__line__)})`;
}

/** Indexes of the low states by ID, name and SLS, so an exact requisite costs a lookup. */
interface LowIndex {
  lows: readonly LowState[];
  byIdOrName: Map<string, number[]>;
  bySls: Map<string, number[]>;
}

function indexLows(lows: readonly LowState[]): LowIndex {
  const byIdOrName = new Map<string, number[]>();
  const bySls = new Map<string, number[]>();
  const add = (map: Map<string, number[]>, key: string, i: number) => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [i]);
    else if (list.at(-1) !== i) list.push(i);
  };
  lows.forEach((low, i) => {
    add(byIdOrName, low.__id__, i);
    add(byIdOrName, low.name, i);
    add(bySls, low.__sls__, i);
  });
  return { lows, byIdOrName, bySls };
}

/** The low states a requisite item names (see {@link planStates}), in definition order. */
function matchItem(index: LowIndex, item: unknown): number[] {
  const [key, raw] = isMapping(item) ? (Object.entries(item)[0] ?? []) : ['id', item];
  if (key === undefined || (typeof raw !== 'string' && typeof raw !== 'number')) return [];
  const value = String(raw);
  const glob = /[*?[]/.test(value);
  const re = glob ? compileFnmatch(value) : undefined;
  const test = (s: string) => (re === undefined ? s === value : re.test(s));
  if (key === 'sls') {
    if (!glob) return index.bySls.get(value) ?? [];
    return index.lows.flatMap((l, i) => (test(l.__sls__) ? [i] : []));
  }
  const candidates = glob ? index.lows.map((_, i) => i) : (index.byIdOrName.get(value) ?? []);
  return candidates.filter((i) => {
    const l = index.lows[i]!;
    return (key === 'id' || l.state === key) && (test(l.name) || test(l.__id__));
  });
}

function resolve(index: LowIndex, self: number, type: string, problems: StateProblem[]): number[] {
  const out: number[] = [];
  const low = index.lows[self]!;
  const value = low[type];
  if (value === undefined) return out;
  for (const item of asList(value)) {
    const found = matchItem(index, item);
    if (found.length === 0) {
      const what = isMapping(item) ? Object.entries(item).map(([k, v]) => `${k}: ${String(v)}`)[0] : String(item);
      problems.push({
        code: StateErrorCode.REQUISITE_MISSING,
        message: `The ${type} requisite of ${describe(low)} in SLS '${low.__sls__}' names '${what}', which no state defines`,
        file: low.__file__,
        ...(low.__line__ === undefined ? {} : { line: low.__line__ }),
        ids: [low.__id__],
      });
    }
    // A state that matches its own requisite (an `sls:` of its own file) does not wait for itself.
    for (const i of found) if (i !== self && !out.includes(i)) out.push(i);
  }
  return out;
}

/**
 * Resolves every requisite of the low states into graph edges and orders the walk. A
 * requisite naming no state is `ERR_STATE_REQUISITE_MISSING`, a cycle `ERR_STATE_REQUISITE_CYCLE`
 * naming each ID on it with its file and line. Requisite items match as in Salt: `mod: x`
 * matches the `name` or ID `x` (shell globs allowed) of a `mod` state, `id: x` or a bare `x`
 * any module, `sls: s` every state of SLS `s`.
 */
export function planStates(lows: readonly LowState[], problems: StateProblem[]): StatePlan {
  const nodes: PlanNode[] = lows.map((low, index) => ({
    index,
    low,
    key: stateKey(low),
    parallel: low['parallel'] === true,
    deps: [],
  }));
  const pretests = new Map<number, number>();
  const pretestOf = (target: number): number => {
    const existing = pretests.get(target);
    if (existing !== undefined) return existing;
    const index = nodes.length;
    nodes.push({
      index,
      low: lows[target]!,
      key: `${stateKey(lows[target]!)}#test`,
      pretestOf: target,
      parallel: false,
      deps: [],
    });
    pretests.set(target, index);
    return index;
  };
  const index = indexLows(lows);
  lows.forEach((_, i) => {
    for (const type of REQUISITES) {
      for (const target of resolve(index, i, type, problems)) {
        nodes[i]!.deps.push({ type, node: type === 'prereq' ? pretestOf(target) : target });
      }
    }
  });
  for (const [target, index] of pretests)
    nodes[index]!.deps = nodes[target]!.deps.filter((d) => d.type !== 'prerequired');
  const listeners = lows.flatMap((_, i) => {
    const targets = resolve(index, i, 'listen', problems);
    return targets.length === 0 ? [] : [{ listener: i, targets }];
  });
  return { nodes, sequence: walkOrder(nodes, lows.length, problems), stateCount: lows.length, listeners };
}

/** Salt's walk: each state in order, its unmet requisites first, depth first; cycles reported. */
function walkOrder(nodes: readonly PlanNode[], stateCount: number, problems: StateProblem[]): number[] {
  const color = new Uint8Array(nodes.length);
  const sequence: number[] = [];
  for (let root = 0; root < stateCount; root++) {
    if (color[root] !== 0) continue;
    const stack: Array<{ node: number; next: number }> = [{ node: root, next: 0 }];
    color[root] = 1;
    while (stack.length > 0) {
      const top = stack.at(-1)!;
      const dep = nodes[top.node]!.deps[top.next++];
      if (dep === undefined) {
        color[top.node] = 2;
        sequence.push(top.node);
        stack.pop();
      } else if (color[dep.node] === 0) {
        color[dep.node] = 1;
        stack.push({ node: dep.node, next: 0 });
      } else if (color[dep.node] === 1) {
        problems.push(cycleProblem(nodes, stack, dep.node));
      }
    }
  }
  return sequence;
}

function cycleProblem(nodes: readonly PlanNode[], stack: ReadonlyArray<{ node: number }>, back: number): StateProblem {
  const from = stack.findIndex((s) => s.node === back);
  const path = stack.slice(from).map((s) => nodes[s.node]!.low);
  const ids = [...new Set(path.map((l) => l.__id__))];
  return {
    code: StateErrorCode.REQUISITE_CYCLE,
    message: `Recursive requisite found: ${[...path, path[0]!].map(describe).join(' -> ')}`,
    file: path[0]!.__file__,
    ...(path[0]!.__line__ === undefined ? {} : { line: path[0]!.__line__ }),
    ids,
  };
}
