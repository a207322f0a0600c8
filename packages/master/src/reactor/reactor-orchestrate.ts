import { ApiErrorCode } from '@brine/protocol';
import type { Observable } from 'rxjs';
import type { EventBus } from '../core/event-bus.js';
import type { JobManager } from '../core/job-manager.js';
import {
  ORCHESTRATE_PARAMS,
  orchestrateRequestOf,
  startOrchestration,
  type OrchestrationRunDeps,
} from '../orchestrate/run-orchestration.js';
import type { StepDeps } from '../orchestrate/salt-steps.js';
import { AutomationErrorCode, ReactorError } from './errors.js';
import { customRunnerCall, type CustomRunnerDeps } from './reactor-runners.js';
import type { MasterCall, RunningCall } from './reactor.js';
import { startJobAs, type Identity, type StartAsDeps } from './start-as.js';

/** What {@link reactorOrchestrate} needs: where runs are recorded, and the reactor's identity and calls. */
export interface ReactorOrchestrateDeps {
  run: OrchestrationRunDeps;
  /** How the steps' jobs start (and are audited): the reactor's own. */
  start: StartAsDeps;
  identity: Identity;
  bus: Pick<EventBus, 'events$'>;
  manager: Pick<JobManager, 'cancel'>;
  /**
   * The runner and wheel functions a `salt.runner` / `salt.wheel` step may call: the reactor's
   * own table (given as a function, since that table holds this call too).
   */
  calls(): Readonly<Record<string, MasterCall>>;
  /**
   * The master's custom runners (`_runners/`), which `salt.runner` steps reach by name when the
   * reactor's own table has no such call, under `@runner`. @default none: only the table's
   */
  runners?: Pick<CustomRunnerDeps, 'runners' | 'log'>;
  /** Stops every run still going when it emits (the master stopping), each recording what it did. @default never */
  stop$?: Observable<unknown>;
}

const truthy = (v: unknown) => v === true || (typeof v === 'string' && /^(true|yes|1)$/i.test(v));

/** Salt's positional arguments of `state.orchestrate` (`arg: [orch.deploy]`) as keywords; keywords win. */
function bind(kwargs: Record<string, unknown>, args: readonly unknown[]): Record<string, unknown> {
  if (args.length > ORCHESTRATE_PARAMS.length)
    throw new ReactorError(
      AutomationErrorCode.callArgs,
      `state.orchestrate takes at most ${ORCHESTRATE_PARAMS.length} arguments`,
    );
  const out: Record<string, unknown> = {};
  args.forEach((a, i) => (out[ORCHESTRATE_PARAMS[i]!] = a));
  return { ...out, ...kwargs };
}

/**
 * `runner.state.orchestrate` as a reaction (Salt's form, issue #19): runs the orchestration
 * through the orchestrate runner's engine as the reactor's identity. Each step's job starts
 * under that identity's ACL and is audited (`source: reactor`); `salt.runner` and `salt.wheel`
 * steps reach the reactor's own master calls under the same `@runner`/`@wheel` rules. The run is
 * stored and announced as the runner's (`brine/run/<jid>/new`, `.../step`, `.../ret`). Returns
 * at once with the run's jid; the reaction holds its slot until the run ends. Throws (a
 * refused reaction) when the arguments do not name an orchestration.
 */
export function reactorOrchestrate(d: ReactorOrchestrateDeps): MasterCall {
  return (kwargs, args): RunningCall => {
    const all = bind(kwargs, args);
    const parsed = orchestrateRequestOf(all);
    if (!parsed.ok) throw new ReactorError(AutomationErrorCode.callArgs, `state.orchestrate: ${parsed.message}`);
    let jid = '';
    const master = (kind: 'runner' | 'wheel') => async (fun: string, kw: Record<string, unknown>) => {
      const call = d.calls()[`${kind}.${fun}`];
      if (!call && kind === 'runner' && d.runners) {
        const from = { source: 'reactor', detail: `state.orchestrate ${jid} runner ${fun}` };
        const custom = await customRunnerCall(
          { ...d.runners, identity: d.identity, start: d.start },
          { fun, kwargs: kw },
          from,
        );
        if (custom) return custom.ret;
      }
      if (!call) throw new Error(`${ApiErrorCode.badRequest}: ${kind} function '${fun}' is not served to reactions`);
      if (!d.identity.grants.special(kind, fun))
        throw new Error(`${ApiErrorCode.forbidden}: ${d.identity.user} may not run ${kind} ${fun}`);
      const ret = call(kw, []);
      return ret !== null && typeof ret === 'object' && 'done' in ret ? await (ret as RunningCall).done : ret;
    };
    const steps: StepDeps = {
      start: (request) =>
        startJobAs(d.start, d.identity, request, { source: 'reactor', detail: `state.orchestrate ${jid}` }),
      runner: master('runner'),
      wheel: master('wheel'),
      events$: (globs) => d.bus.events$(globs),
      cancel: (j) => void d.manager.cancel(j),
    };
    const started = startOrchestration(d.run, {
      request: parsed.request,
      test: truthy(all['test']),
      user: d.identity.user,
      steps,
      ...(d.stop$ ? { stop$: d.stop$ } : {}),
    });
    jid = started.jid;
    return started;
  };
}
