import { catchError, defaultIfEmpty, defer, finalize, from, map, of, take, tap, type Observable } from 'rxjs';
import { ENGINE_KEYS, type LowState } from '../compile/types.js';
import { where } from '../errors.js';
import type { StateCallContext, StateFunctionRegistry, StateReturn } from './registry.js';

/** A state function's answer, normalised: comment joined, changes always an object. */
export interface CallOutcome {
  name: string;
  result: boolean | null;
  comment: string;
  changes: Record<string, unknown>;
  skipWatch: boolean;
}

/** The arguments a state function receives: the low state without engine keys. */
export function stateArgs(low: LowState): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(low)) {
    if (!key.startsWith('__') && !ENGINE_KEYS.has(key)) args[key] = value;
  }
  return args;
}

function normalise(low: LowState, ret: StateReturn | undefined): CallOutcome {
  if (ret === undefined || typeof ret !== 'object' || !('result' in ret)) {
    return {
      name: low.name,
      result: false,
      comment: 'The state function returned no result',
      changes: {},
      skipWatch: false,
    };
  }
  const comment = Array.isArray(ret.comment) ? ret.comment.join('\n') : String(ret.comment ?? '');
  const result = ret.result === true || ret.result === false ? ret.result : null;
  const changes = typeof ret.changes === 'object' && ret.changes !== null ? ret.changes : {};
  return { name: ret.name ?? low.name, result, comment, changes, skipWatch: ret.skip_watch === true };
}

/** Options of {@link callState$}. */
export interface CallOptions {
  test: boolean;
  /** Call `mod_watch` instead of the declared function. */
  modWatch?: boolean;
}

/**
 * Calls the state function of a low state through the registry. Emits one {@link CallOutcome}
 * and completes; never errors: an unknown function or a function that throws is a failed
 * outcome saying so (with the ID's file:line). Unsubscribing aborts the call's signal.
 */
export function callState$(
  registry: StateFunctionRegistry,
  low: LowState,
  options: CallOptions,
): Observable<CallOutcome> {
  const fun = `${low.state}.${options.modWatch === true ? 'mod_watch' : low.fun}`;
  if (!registry.has(fun)) {
    return of({
      name: low.name,
      result: false,
      comment: `State '${fun}' was not found in SLS '${low.__sls__}' (${where(low.__file__, low.__line__)})`,
      changes: {},
      skipWatch: false,
    });
  }
  return defer(() => {
    // Made on first use: most functions never look at the signal, and 300 controllers a run
    // showed in the profile.
    let controller: AbortController | undefined;
    let answered = false;
    const ctx: StateCallContext = {
      test: options.test,
      get signal() {
        controller ??= new AbortController();
        return controller.signal;
      },
    };
    if (options.modWatch === true) ctx.sfun = low.fun;
    // The inner defer turns a function that throws instead of rejecting into an error caught below.
    return defer(() => from(registry.call({ fun, args: stateArgs(low), low }, ctx))).pipe(
      take(1),
      tap({ next: () => (answered = true), error: () => (answered = true) }),
      defaultIfEmpty(undefined),
      map((ret) => normalise(low, ret)),
      catchError((err: unknown) =>
        of({
          name: low.name,
          result: false,
          comment: `An exception occurred in this state: ${err instanceof Error ? err.message : String(err)}`,
          changes: {},
          skipWatch: false,
        }),
      ),
      finalize(() => {
        if (!answered) controller?.abort();
      }),
    );
  });
}
