import type { ObservableInput } from 'rxjs';
import type { LowState } from '../compile/types.js';

/** What a state function returns, in Salt's shape. */
export interface StateReturn {
  /** The name the state acted on; the low state's `name` when left out. */
  name?: string;
  /** `true` in the desired state, `false` failed, `null` would change (test mode). */
  result: boolean | null;
  comment: string | readonly string[];
  /** What changed (or, in test mode, would change); `{}` for nothing. */
  changes: Record<string, unknown>;
  /** Set by a state that changed but must not trigger its watchers' `mod_watch` (Salt's `skip_watch`). */
  skip_watch?: boolean;
}

/** One call of a state function. */
export interface StateCall {
  /** `module.function`, e.g. `file.managed`, or `service.mod_watch`. */
  fun: string;
  /** The declaration's arguments (`name` included), without requisites and engine keys. */
  args: Record<string, unknown>;
  /** The whole low state, for functions that need `__id__`, `__sls__` or `__env__`. */
  low: LowState;
}

/** How a state function is to run. */
export interface StateCallContext {
  /** Report what would change, change nothing. */
  test: boolean;
  /** Aborted when the run is unsubscribed before this call answered. */
  signal: AbortSignal;
  /** For `mod_watch`: the function the state was declared with (Salt's `sfun`), e.g. `running`. */
  sfun?: string;
}

/**
 * The state functions a run may call. The engine owns this interface; the minion implements it
 * over its `states/` modules, orchestration over jobs. An implementation owes:
 * - `has(fun)` answers synchronously whether `module.function` exists, including each
 *   module's `mod_watch` (a `watch` on a state without one acts as `require`, as in Salt);
 * - `call` answers once with a {@link StateReturn} (a Promise or an Observable that emits
 *   one value), rejecting only for a bug: the engine turns a rejection into a failed result;
 * - under `ctx.test` it changes nothing and reports `result: null` with the would-be changes
 *   (or `true` with no changes when nothing would change);
 * - it stops promptly when `ctx.signal` aborts (the run was unsubscribed).
 * The engine validates nothing in `args`: the function validates its own arguments and reports
 * a bad one as a failed result.
 */
export interface StateFunctionRegistry {
  has(fun: string): boolean;
  call(call: StateCall, ctx: StateCallContext): ObservableInput<StateReturn>;
}

/** A state's result in a run's return, keyed by `stateKey` as Salt keys it. */
export interface StateResult {
  __id__: string;
  __sls__: string;
  __run_num__: number;
  name: string;
  result: boolean | null;
  comment: string;
  changes: Record<string, unknown>;
  /** Time of day the state started, `HH:MM:SS.ffffff` (UTC), from the run's scheduler. */
  start_time: string;
  /** Milliseconds. */
  duration: number;
  /** `false` when the engine decided the state without calling it (a requisite failed or did not change). */
  __state_ran__?: boolean;
}
