import type { SchedulerLike } from 'rxjs';
import type { PlanNode, StatePlan } from '../compile/plan.js';
import { stateKey, type LowState, type RequisiteType } from '../compile/types.js';
import type { CallOutcome } from './call-state.js';
import type { StateFunctionRegistry, StateResult } from './registry.js';
import { requisiteStatus } from './requisite-status.js';

/** A node that has its outcome; `emit` is false for the internal test run of a prereq. */
export interface NodeDone {
  node: number;
  key: string;
  emit: boolean;
  outcome: CallOutcome;
  ran: boolean;
  result?: StateResult;
}

/** What to do with a node whose requisites have results. */
export type Decision =
  | { kind: 'skip'; outcome: CallOutcome }
  | { kind: 'call'; test: boolean; modWatch?: boolean; thenWatch?: boolean; pretestWatch?: boolean };

/**
 * The bookkeeping of one run: which nodes have results, which may start, the run numbers and
 * the return. One is made per subscription to `runStates$` and dies with it; every rule of the
 * run (Salt's requisite statuses, failhard, listeners) is decided here, synchronously.
 */
export interface RunBook {
  readonly registry: StateFunctionRegistry;
  readonly test: boolean;
  now(): number;
  low(node: number): LowState;
  /** The nodes that may start at once; marks them started. */
  initial(): number[];
  /** Stores a node's outcome; returns the nodes that may start now, marked started. */
  record(done: NodeDone): number[];
  decide(node: number): Decision;
  finish(node: number, startedMs: number, outcome: CallOutcome, how: { listener: boolean; ran: boolean }): NodeDone;
  /** The listeners whose targets changed, once the main run is over. */
  listeners(): number[];
  results(): Record<string, StateResult>;
}

interface Settled {
  result: boolean | null;
  changed: boolean;
  ran: boolean;
}

const NOT_RUN_COMMENT = {
  pre: 'No changes detected',
  onfail: 'State was not run because onfail req did not change',
  onchanges: 'State was not run because none of the onchanges reqs changed',
} as const;

/** `HH:MM:SS.ffffff`, Salt's `start_time`, from a scheduler time in ms (UTC). */
export function formatStartTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 23)}000`;
}

/** Makes the {@link RunBook} of one run. */
export function createRunBook(
  plan: StatePlan,
  registry: StateFunctionRegistry,
  options: { test: boolean; failhard: boolean; scheduler: SchedulerLike },
): RunBook {
  const { nodes } = plan;
  const settled: Array<Settled | undefined> = new Array(nodes.length);
  const started = new Uint8Array(nodes.length);
  const prevSerial = new Int32Array(nodes.length).fill(-1);
  const dependants: number[][] = nodes.map(() => []);
  const out: Record<string, StateResult> = {};
  let runNum = 0;
  let halted = false;

  let last = -1;
  for (const n of plan.sequence) {
    prevSerial[n] = last;
    if (!nodes[n]!.parallel) last = n;
  }
  for (const node of nodes) {
    for (const dep of node.deps) dependants[dep.node]!.push(node.index);
    if (prevSerial[node.index]! >= 0) dependants[prevSerial[node.index]!]!.push(node.index);
  }

  const ready = (n: number): boolean =>
    !halted &&
    started[n] === 0 &&
    (prevSerial[n] === -1 || settled[prevSerial[n]!] !== undefined) &&
    nodes[n]!.deps.every((d) => settled[d.node] !== undefined);
  const take = (candidates: Iterable<number>): number[] => {
    const out: number[] = [];
    for (const n of candidates) {
      if (!ready(n)) continue;
      started[n] = 1;
      out.push(n);
    }
    return out;
  };

  const depType = (node: PlanNode, type: RequisiteType): RequisiteType => {
    // Salt: a watch on a state without mod_watch is a require.
    if ((type === 'watch' || type === 'watch_any') && !registry.has(`${node.low.state}.mod_watch`)) {
      return type === 'watch' ? 'require' : 'require_any';
    }
    return type;
  };

  const skip = (node: PlanNode, result: boolean, comment: string): Decision => ({
    kind: 'skip',
    outcome: { name: node.low.name, result, comment, changes: {}, skipWatch: false },
  });

  return {
    registry,
    test: options.test,
    now: () => options.scheduler.now(),
    low: (n) => nodes[n]!.low,
    initial: () => take(plan.sequence),
    record(done) {
      settled[done.node] = {
        result: done.outcome.result,
        changed: Object.keys(done.outcome.changes).length > 0,
        ran: done.ran,
      };
      const low = nodes[done.node]!.low;
      const failhard = low['failhard'] === undefined ? options.failhard : low['failhard'] === true;
      if (done.emit && failhard && !options.test && done.outcome.result === false) halted = true;
      return take(dependants[done.node]!);
    },
    decide(n) {
      const node = nodes[n]!;
      const pretest = node.pretestOf !== undefined;
      const outcomes = node.deps.map((d) => ({ type: depType(node, d.type), ...settled[d.node]! }));
      const status = requisiteStatus(outcomes);
      if (status === 'fail') {
        const failed = node.deps
          .filter((d) => settled[d.node]!.result === false)
          .map((d) => `${nodes[d.node]!.low.__sls__}.${nodes[d.node]!.low.__id__}`);
        return skip(node, false, `One or more requisite failed: ${[...new Set(failed)].join(', ')}`);
      }
      if (status === 'pre' || status === 'onfail' || status === 'onchanges')
        return skip(node, true, NOT_RUN_COMMENT[status]);
      if (status === 'change')
        return pretest
          ? { kind: 'call', test: true, pretestWatch: true }
          : { kind: 'call', test: options.test, thenWatch: true };
      return { kind: 'call', test: pretest || options.test };
    },
    finish(n, startedMs, outcome, { listener, ran }) {
      const node = nodes[n]!;
      const done: NodeDone = { node: n, key: node.key, emit: node.pretestOf === undefined, outcome, ran };
      if (!done.emit) return done;
      const id = listener ? `listener_${node.low.__id__}` : node.low.__id__;
      const key = listener ? stateKey({ ...node.low, __id__: id, fun: 'mod_watch' }) : node.key;
      const result: StateResult = {
        __id__: id,
        __sls__: node.low.__sls__,
        __run_num__: runNum++,
        name: outcome.name,
        result: outcome.result,
        comment: outcome.comment,
        changes: outcome.changes,
        start_time: formatStartTime(startedMs),
        duration: options.scheduler.now() - startedMs,
      };
      if (!ran) result.__state_ran__ = false;
      out[key] = result;
      return { ...done, key, result };
    },
    listeners() {
      const chosen: number[] = [];
      for (const spec of plan.listeners) {
        if (chosen.includes(spec.listener)) continue;
        if (spec.targets.some((t) => settled[t]?.changed === true)) chosen.push(spec.listener);
      }
      return chosen;
    },
    results: () => out,
  };
}
