import { Observable, type ObservableInput } from 'rxjs';
import { compileHighData } from '../compile/compile.js';
import type { StatePlan } from '../compile/plan.js';
import { readSlsData } from '../compile/sls-data.js';
import { loadSaltYaml } from '../yaml/salt-yaml.js';
import type { StateCall, StateCallContext, StateFunctionRegistry, StateReturn } from './registry.js';

/** Compiles one SLS of YAML (no Jinja) into a plan, throwing on any problem. */
export function planFromYaml(yaml: string, sls = 'app'): StatePlan {
  const file = `${sls.replace(/\./g, '/')}.sls`;
  const { data, keyLines } = loadSaltYaml(yaml, file);
  const parts = readSlsData(data, { sls, env: 'base', file, keyLines });
  let order = 10000;
  for (const state of parts.states) for (const args of state.decls.values()) args.push({ order: order++ });
  const result = compileHighData({
    states: new Map(parts.states.map((s) => [s.id, s])),
    extend: parts.extend,
    exclude: parts.exclude,
  });
  if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
  return result.plan;
}

/** One recorded call of a {@link scriptedRegistry}. */
export interface RecordedCall {
  fun: string;
  name: string;
  test: boolean;
  sfun?: string;
}

/**
 * A registry whose functions answer from a script: `script(call, ctx)` returns what the
 * function returns (an Observable under a TestScheduler, a value, a promise). Knows
 * `mod_watch` only for the modules listed in `withModWatch`, and no function of module `missing`.
 */
export function scriptedRegistry(
  script: (call: StateCall, ctx: StateCallContext) => ObservableInput<StateReturn> | StateReturn,
  withModWatch: readonly string[] = ['service'],
): StateFunctionRegistry & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  return {
    calls,
    has: (fun) => {
      const [mod = '', f] = fun.split('.');
      return f === 'mod_watch' ? withModWatch.includes(mod) : mod !== 'missing';
    },
    call: (call, ctx) => {
      calls.push({
        fun: call.fun,
        name: String(call.args['name']),
        test: ctx.test,
        ...(ctx.sfun === undefined ? {} : { sfun: ctx.sfun }),
      });
      const answer = script(call, ctx);
      if (typeof answer === 'object' && answer !== null && 'result' in answer) {
        return new Observable<StateReturn>((sub) => {
          sub.next(answer);
          sub.complete();
        });
      }
      return answer as ObservableInput<StateReturn>;
    },
  };
}

/** A state return: `ok` no changes, `changed` with changes, `failed`, `would` (test mode). */
export const ret = {
  ok: { result: true, comment: 'ok', changes: {} } as StateReturn,
  changed: { result: true, comment: 'changed', changes: { diff: 'yes' } } as StateReturn,
  failed: { result: false, comment: 'failed', changes: {} } as StateReturn,
  would: { result: null, comment: 'would change', changes: { diff: 'would' } } as StateReturn,
};
