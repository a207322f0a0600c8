import { fromEvent, lastValueFrom, NEVER, takeUntil, tap } from 'rxjs';
import { highToSalt, runStates$, type StateResult, type StateRunEvent } from '@brine/state';
import { summarize } from '../../core/summary.js';
import { compileOrchestration, orchestrateRegistry, type OrchestrateRequest } from '../../orchestrate/orchestrate.js';
import type { StepDeps, StepJobStart } from '../../orchestrate/salt-steps.js';
import { ApiErrorCode } from '@brine/protocol';
import { HttpError } from '../shared/errors.js';
import { startJob } from '../auth/job-access.js';
import { runJob } from '../native/routes-runners.js';
import { bindSaltArgs } from './salt-call-args.js';
import type { OrchestrateServices, SaltFunContext, SaltFunction } from './salt-function.js';

/** The code of a `state.orchestrate` call on a master built without {@link OrchestrateServices}. */
export const ORCH_UNAVAILABLE = ApiErrorCode.orchUnavailable;

/** The orchestrate runner's function name, as the job cache stores a run. */
export const ORCHESTRATE_FUN = 'state.orchestrate';

const PARAMS = ['mods', 'saltenv', 'test', 'exclude', 'pillar', 'pillarenv', 'pillar_enc', 'orchestration_jid'];

function services(ctx: SaltFunContext): OrchestrateServices {
  const o = ctx.s.orchestrate;
  if (!o) throw new HttpError(503, ORCH_UNAVAILABLE, 'orchestration is not configured on this master');
  return o;
}

function requestOf(kwargs: Record<string, unknown>): OrchestrateRequest {
  const mods = [kwargs['mods']].flat().flatMap((m) => (typeof m === 'string' ? m.split(',') : []));
  if (mods.length === 0 || mods.some((m) => m.trim() === ''))
    throw new HttpError(400, ApiErrorCode.badRequest, 'mods: name one or more orchestration SLS files');
  const pillar = kwargs['pillar'];
  if (pillar !== undefined && pillar !== null && (typeof pillar !== 'object' || Array.isArray(pillar)))
    throw new HttpError(400, ApiErrorCode.badRequest, 'pillar: a mapping');
  return {
    mods: mods.map((m) => m.trim()),
    saltenv: typeof kwargs['saltenv'] === 'string' ? kwargs['saltenv'] : 'base',
    ...(pillar ? { pillar: pillar as Record<string, unknown> } : {}),
  };
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
 * whose one "minion" is the master: `brine/run/<jid>/new`, one `brine/run/<jid>/step` per
 * step as its result is known, then `brine/run/<jid>/ret`. Answers Salt's runner shape
 * `{outputter: 'highstate', data: {<master>: results}, retcode}` plus the `jid`.
 */
async function orchestrate(
  ctx: SaltFunContext,
  kwargs: Record<string, unknown>,
  lookup: () => Readonly<Record<string, Readonly<Record<string, SaltFunction>>>>,
): Promise<unknown> {
  const o = services(ctx);
  const request = requestOf(kwargs);
  const test = truthy(kwargs['test']);
  const { s, p } = ctx;
  const jid = o.newJid();
  const startedAt = s.now();
  s.store.createJob({
    jid,
    fun: ORCHESTRATE_FUN,
    args: [request.mods.join(',')],
    kwargs: { saltenv: request.saltenv, ...(test ? { test: true } : {}) },
    target: o.masterId,
    targetType: 'list',
    user: p.user,
    startedAt,
    minions: [o.masterId],
  });
  s.bus.publish(`brine/run/${jid}/new`, { jid, fun: ORCHESTRATE_FUN, mods: request.mods, user: p.user, test });
  const compiled = await compileOrchestration(o.fileRoots, request);
  let ret: Record<string, StateResult> | string[];
  let complete = true;
  if (!compiled.ok) ret = compiled.problems.map((x) => x.message);
  else {
    // A caller that goes away stops the run, and with it the jobs of the steps in flight.
    const socket = ctx.req.raw.socket as NodeJS.EventEmitter | null | undefined;
    const gone$ = socket && typeof socket.on === 'function' ? fromEvent(socket, 'close') : NEVER;
    const seen: Record<string, StateResult> = {};
    const events = runStates$(compiled.plan, orchestrateRegistry(stepDeps(ctx, lookup)), { test }).pipe(
      takeUntil(gone$),
      tap((e: StateRunEvent) => {
        if (e.type !== 'state') return;
        seen[e.key] = e.result;
        s.bus.publish(`brine/run/${jid}/step`, { jid, key: e.key, result: e.result });
      }),
    );
    const last = await lastValueFrom(events, { defaultValue: undefined });
    complete = last?.type === 'return';
    ret = last?.type === 'return' ? last.results : seen;
  }
  const success = complete && !Array.isArray(ret) && Object.values(ret).every((r) => r.result !== false);
  const durationMs = s.now() - startedAt;
  const result = { id: o.masterId, outcome: 'returned' as const, success, retcode: success ? 0 : 1, ret, durationMs };
  s.store.writeResults([{ jid, ...result }]);
  s.store.finishJob(jid, s.now(), summarize(jid, ORCHESTRATE_FUN, [result], durationMs));
  s.bus.publish(`brine/run/${jid}/ret`, { jid, fun: ORCHESTRATE_FUN, success, return: ret });
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
