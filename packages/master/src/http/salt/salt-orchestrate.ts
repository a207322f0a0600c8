import { fromEvent, NEVER } from 'rxjs';
import { highToSalt } from '@brine/state';
import { compileOrchestration, type OrchestrateRequest } from '../../orchestrate/orchestrate.js';
import {
  ORCHESTRATE_PARAMS,
  orchestrateRequestOf,
  startOrchestration,
  type OrchestrateServices,
} from '../../orchestrate/run-orchestration.js';
import type { StepDeps, StepJobStart } from '../../orchestrate/salt-steps.js';
import { ApiErrorCode } from '@brine/protocol';
import { HttpError } from '../shared/errors.js';
import { startJob } from '../auth/job-access.js';
import { runJob } from '../native/routes-runners.js';
import { bindSaltArgs } from './salt-call-args.js';
import type { SaltFunContext, SaltFunction } from './salt-function.js';

/** The code of a `state.orchestrate` call on a master built without {@link OrchestrateServices}. */
export const ORCH_UNAVAILABLE = ApiErrorCode.orchUnavailable;

const PARAMS = ORCHESTRATE_PARAMS;

function services(ctx: SaltFunContext): OrchestrateServices {
  const o = ctx.s.orchestrate;
  if (!o) throw new HttpError(503, ORCH_UNAVAILABLE, 'orchestration is not configured on this master');
  return o;
}

function requestOf(kwargs: Record<string, unknown>): OrchestrateRequest {
  const parsed = orchestrateRequestOf(kwargs);
  if (!parsed.ok) throw new HttpError(400, ApiErrorCode.badRequest, parsed.message);
  return parsed.request;
}

const truthy = (v: unknown) => v === true || (typeof v === 'string' && /^(true|yes|1)$/i.test(v));

/** The steps' services, as the calling principal: the API's job ACL, the runners' own rules. */
function stepDeps(
  ctx: SaltFunContext,
  lookup: () => Readonly<Record<string, Readonly<Record<string, SaltFunction>>>>,
): StepDeps {
  const master = (kind: 'runner' | 'wheel') => async (fun: string, kwargs: Record<string, unknown>) => {
    const table = lookup()[kind]!;
    const fn = Object.hasOwn(table, fun) ? table[fun]! : undefined;
    if (!fn && kind === 'runner') return customRunner(ctx, fun, kwargs);
    if (!fn) throw new Error(`${ApiErrorCode.badRequest}: ${kind} function '${fun}' is not served`);
    if (!ctx.p.grants.admin && !fn.allowed(ctx.p, fun))
      throw new Error(`${ApiErrorCode.forbidden}: not allowed to run ${kind} ${fun}`);
    return fn.run(ctx, bindSaltArgs(fun, fn, [], kwargs));
  };
  return {
    start: (request): StepJobStart => {
      try {
        return { ok: true, job: startJob(ctx.s, ctx.p, request, ctx.req) };
      } catch (err) {
        if (err instanceof HttpError) return { ok: false, code: err.code, message: err.message };
        throw err;
      }
    },
    runner: master('runner'),
    wheel: master('wheel'),
    events$: (globs) => ctx.s.bus.events$(globs),
    cancel: (jid) => void ctx.s.manager.cancel(jid),
  };
}

/** A custom runner from `_runners/` (issue #21), under the rule of `POST /api/v1/runners/:fun`: `@runner`. */
async function customRunner(ctx: SaltFunContext, fun: string, kwargs: Record<string, unknown>): Promise<unknown> {
  const spec = await ctx.s.runners?.find(fun);
  if (!spec) throw new Error(`${ApiErrorCode.badRequest}: runner function '${fun}' is not served`);
  if (!ctx.p.grants.admin && !ctx.p.grants.special('runner', fun))
    throw new Error(`${ApiErrorCode.forbidden}: not allowed to run runner ${fun} (needs @runner)`);
  const parsed = spec.schema.safeParse(kwargs);
  if (!parsed.success)
    throw new Error(
      `${ApiErrorCode.badRequest}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ')}`,
    );
  return spec.run(parsed.data, {
    log: ctx.s.log.child({ runner: fun, user: ctx.p.user }),
    user: ctx.p.user,
    client: { run: (request) => runJob(ctx.s, ctx.p, request, ctx.req) },
  });
}

/**
 * Runs an orchestration (Salt's `state.orchestrate`) as the calling user and stores it as a job
 * whose one "minion" is the master (see startOrchestration for its events). Answers Salt's
 * runner shape `{outputter: 'highstate', data: {<master>: results}, retcode}` plus the `jid`.
 */
async function orchestrate(
  ctx: SaltFunContext,
  kwargs: Record<string, unknown>,
  lookup: () => Readonly<Record<string, Readonly<Record<string, SaltFunction>>>>,
): Promise<unknown> {
  const o = services(ctx);
  const { s, p } = ctx;
  // A caller that goes away stops the run, and with it the jobs of the steps in flight.
  const socket = ctx.req.raw.socket as NodeJS.EventEmitter | null | undefined;
  const stop$ = socket && typeof socket.on === 'function' ? fromEvent(socket, 'close') : NEVER;
  const { done } = startOrchestration(
    { store: s.store, bus: s.bus, now: s.now, services: o },
    { request: requestOf(kwargs), test: truthy(kwargs['test']), user: p.user, steps: stepDeps(ctx, lookup), stop$ },
  );
  const { jid, success, ret } = await done;
  return { outputter: 'highstate', data: { [o.masterId]: ret }, retcode: success ? 0 : 1, jid };
}

/** Salt's `state.orchestrate_show_sls`: the orchestration's high data, keyed by the master's id. */
async function showSls(ctx: SaltFunContext, kwargs: Record<string, unknown>): Promise<unknown> {
  const o = services(ctx);
  const compiled = await compileOrchestration(o.fileRoots, requestOf(kwargs));
  return { [o.masterId]: compiled.ok ? highToSalt(compiled.high) : compiled.problems.map((x) => x.message) };
}

/** Who may start an orchestration: `@runner` (or a glob naming it), or anyone who may run functions; each step is checked again. */
const orchestrateAllowed = (p: SaltFunContext['p'], fun: string) =>
  p.grants.special('runner', fun) || p.grants.runsFunctions;

/**
 * The orchestrate runners (`state.orchestrate`, its alias `state.orch`,
 * `state.orchestrate_show_sls`). `lookup` gives the runner and wheel tables that `salt.runner`
 * and `salt.wheel` steps call (a function, since those tables include these runners).
 */
export function orchestrateRunners(
  lookup: () => Readonly<Record<string, Readonly<Record<string, SaltFunction>>>>,
): Record<string, SaltFunction> {
  const run: SaltFunction = {
    params: PARAMS,
    doc: 'Run orchestration SLS files from the file roots on the master, each step a job as the calling user (test=True, pillar={...}, saltenv=base).',
    allowed: orchestrateAllowed,
    run: (ctx, { kwargs }) => orchestrate(ctx, kwargs, lookup),
  };
  return {
    'state.orchestrate': run,
    'state.orch': { ...run, doc: 'Alias of state.orchestrate.' },
    'state.orchestrate_show_sls': {
      params: PARAMS,
      doc: 'Return the high data of orchestration SLS files, keyed by the master id.',
      allowed: orchestrateAllowed,
      run: (ctx, { kwargs }) => showSls(ctx, kwargs),
    },
  };
}
