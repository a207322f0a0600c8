import {
  asyncScheduler,
  concat,
  defer,
  expand,
  filter,
  map,
  merge,
  mergeMap,
  of,
  queueScheduler,
  subscribeOn,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { StatePlan } from '../compile/plan.js';
import { callState$, type CallOutcome } from './call-state.js';
import type { StateFunctionRegistry, StateResult } from './registry.js';
import { createRunBook, type Decision, type NodeDone, type RunBook } from './run-book.js';

/** Options of {@link runStates$}. */
export interface StateRunOptions {
  /** Run every state in test mode: nothing changes, results say what would. @default false */
  test?: boolean;
  /** Stop starting states after the first failure, as `failhard: True` on every state. @default false */
  failhard?: boolean;
  /** The clock of `start_time` and `duration`. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/** What a run emits: each state's result as soon as it is known, then the whole return. */
export type StateRunEvent =
  { type: 'state'; key: string; result: StateResult } | { type: 'return'; results: Record<string, StateResult> };

/**
 * Runs a compiled plan over the registry's state functions. Each state starts once its
 * requisites have results (and, unless `parallel: True`, once the state before it in the walk
 * has finished, as Salt runs one state at a time); it emits `{type: 'state'}` the moment its
 * result is known, and after the last state and the `listen` watchers, one `{type: 'return'}`
 * with every result keyed as Salt keys them; then completes. Never errors: failures are
 * results. Unsubscribing stops the run and aborts the calls in flight. Time comes only from
 * `options.scheduler`.
 */
export function runStates$(
  plan: StatePlan,
  registry: StateFunctionRegistry,
  options: StateRunOptions = {},
): Observable<StateRunEvent> {
  return defer(() => {
    const book = createRunBook(plan, registry, {
      test: options.test === true,
      failhard: options.failhard === true,
      scheduler: options.scheduler ?? asyncScheduler,
    });
    // subscribeOn(queueScheduler) trampolines the start of each next state: with functions
    // that answer synchronously, a chain of states would otherwise nest one subscription per
    // state on the stack (measured: the stack ran out near 90 states under vitest). It adds
    // no delay and no virtual time.
    const start$ = (nodes: readonly number[]): Observable<NodeDone> =>
      merge(...nodes.map((n) => execute$(book, n))).pipe(subscribeOn(queueScheduler));
    const main$ = start$(book.initial()).pipe(expand((done) => start$(book.record(done))));
    const listen$ = defer(() => concat(...book.listeners().map((n) => execute$(book, n, true))));
    const states$ = concat(main$, listen$).pipe(
      filter((done) => done.emit),
      map((done): StateRunEvent => ({ type: 'state', key: done.key, result: done.result! })),
    );
    return concat(
      states$,
      defer(() => of<StateRunEvent>({ type: 'return', results: book.results() })),
    );
  });
}

/** Runs one node: decides from its requisites, calls what it must, and reports when done. */
function execute$(book: RunBook, node: number, listener = false): Observable<NodeDone> {
  return defer(() => {
    const decision: Decision = listener ? { kind: 'call', modWatch: true, test: book.test } : book.decide(node);
    const started = book.now();
    if (decision.kind === 'skip') return of(book.finish(node, started, decision.outcome, { listener, ran: false }));
    const first$ = callState$(book.registry, book.low(node), {
      test: decision.test,
      modWatch: decision.modWatch === true,
    });
    return first$.pipe(
      mergeMap((outcome): Observable<CallOutcome> => {
        if (decision.thenWatch === true && !outcome.skipWatch && Object.keys(outcome.changes).length === 0) {
          return callState$(book.registry, book.low(node), { test: decision.test, modWatch: true });
        }
        if (decision.pretestWatch === true && Object.keys(outcome.changes).length === 0) {
          return of({ ...outcome, result: null, changes: { watch: 'watch' } });
        }
        return of(outcome);
      }),
      map((outcome) => book.finish(node, started, outcome, { listener, ran: true })),
    );
  });
}
