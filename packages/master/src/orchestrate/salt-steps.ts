import { filter, firstValueFrom, fromEvent, lastValueFrom, map, race, scan, takeUntil, timer, toArray } from 'rxjs';
import { asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import { didNotReturnLine, globMatch, jobRequestSchema, type JobRequest, type MinionResult } from '@brine/protocol';
import type { StateCallContext, StateReturn } from '@brine/state';
import type { BusEvent } from '../core/event-bus.js';
import type { JobEvent } from '../core/job-plan.js';
import type { StepFunction } from './test-steps.js';

/** A job a step asked for: started, or refused (by the ACL, the target, the request) with a code. */
export type StepJobStart =
  | { ok: true; job: { jid: string; minions: string[]; events$: Observable<JobEvent> } }
  | { ok: false; code: string; message: string };

/**
 * What the `salt.*` steps run on, all as the calling user: an implementation owes ACL checks
 * (a refusal is an answer, never a throw from `start`; `runner`/`wheel` reject with a message
 * naming the refusal) and a bus to listen on.
 */
export interface StepDeps {
  start(request: JobRequest): StepJobStart;
  runner(fun: string, kwargs: Record<string, unknown>): Promise<unknown>;
  wheel(fun: string, kwargs: Record<string, unknown>): Promise<unknown>;
  events$(globs: readonly string[]): Observable<BusEvent>;
  /** Cancels a job a step started, when the run is unsubscribed before the job ended. */
  cancel(jid: string): void;
  /** The clock of `salt.wait_for_event`'s timeout and its "seen in" time. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/** Salt's `timeout` (seconds) for `salt.wait_for_event`. */
const WAIT_TIMEOUT_S = 300;

const list = (v: unknown): string[] =>
  v === undefined || v === null
    ? []
    : Array.isArray(v)
      ? v.map(String)
      : String(v)
          .split(',')
          .map((s) => s.trim());

/** The job request a `salt.function`/`salt.state` step describes, or why it is not one. */
function request(
  args: Record<string, unknown>,
  fun: string,
  extra: { args?: unknown[]; kwargs?: Record<string, unknown> },
): { ok: true; request: JobRequest } | { ok: false; message: string } {
  const timeout = args['timeout'];
  const parsed = jobRequestSchema.safeParse({
    target: args['tgt'],
    targetType: args['tgt_type'] ?? 'glob',
    fun,
    args: extra.args ?? [],
    kwargs: extra.kwargs ?? {},
    ...(typeof timeout === 'number' ? { timeoutMs: Math.round(timeout * 1000) } : {}),
    ...(args['batch'] === undefined || args['batch'] === null ? {} : { batch: args['batch'] }),
    ...(args['failhard'] === true ? { failhard: true } : {}),
  });
  if (!parsed.success)
    return {
      ok: false,
      message: parsed.error.issues.map((i) => `${i.path.join('.') || 'step'}: ${i.message}`).join('; '),
    };
  return { ok: true, request: parsed.data };
}

/** Runs a job to its end and answers every minion's result, or the refusal. */
async function results(
  deps: StepDeps,
  req: JobRequest,
  ctx: StateCallContext,
): Promise<{ ok: true; jid: string; results: MinionResult[] } | { ok: false; message: string }> {
  const started = deps.start(req);
  if (!started.ok) return { ok: false, message: `${started.code}: ${started.message}` };
  // The run was unsubscribed (its caller went away): the step's job stops too.
  const cancel = () => deps.cancel(started.job.jid);
  ctx.signal.addEventListener('abort', cancel, { once: true });
  const all = await lastValueFrom(
    started.job.events$.pipe(
      takeUntil(fromEvent(ctx.signal, 'abort')),
      filter((e): e is Extract<JobEvent, { type: 'result' }> => e.type === 'result'),
      map((e) => e.result),
      toArray(),
    ),
  ).finally(() => ctx.signal.removeEventListener('abort', cancel));
  // A retried minion reports again: its last result stands.
  const last = new Map(all.map((r) => [r.id, r]));
  return { ok: true, jid: started.job.jid, results: [...last.values()] };
}

const failed = (args: Record<string, unknown>, comment: string): StateReturn => ({
  name: String(args['name'] ?? ''),
  result: false,
  comment,
  changes: {},
});

/** What a minion that did not return says, as Salt's CLI prints it (and brine: one wording). */
const noReturn = (r: MinionResult) => didNotReturnLine(r);

/** Salt's `salt.function`: one execution function on a target, failed when any minion failed. */
export const saltFunction =
  (deps: StepDeps): StepFunction =>
  async (args, ctx) => {
    const fun = String(args['name'] ?? '');
    const tgt = String(args['tgt'] ?? '');
    if (ctx.test)
      return { name: fun, result: null, comment: `Function ${fun} would be executed on target ${tgt}`, changes: {} };
    // Refused loudly rather than ignored: a file that relies on it would pass where Salt fails.
    if (args['fail_function'] !== undefined) return failed(args, 'fail_function is not supported by Brine');
    const kwarg = args['kwarg'];
    const req = request(args, fun, {
      args: Array.isArray(args['arg'])
        ? args['arg']
        : args['arg'] === undefined || args['arg'] === null
          ? []
          : [args['arg']],
      kwargs:
        kwarg !== null && typeof kwarg === 'object' && !Array.isArray(kwarg) ? (kwarg as Record<string, unknown>) : {},
    });
    if (!req.ok) return failed(args, req.message);
    const run = await results(deps, req.request, ctx);
    if (!run.ok) return failed(args, run.message);
    const allowedToFail = new Set(list(args['fail_minions']));
    const out: Record<string, unknown> = {};
    const fail: string[] = [];
    for (const r of run.results) {
      out[r.id] = r.outcome === 'returned' ? r.ret : noReturn(r);
      if (!r.success && !allowedToFail.has(r.id)) fail.push(r.id);
    }
    const ok = fail.length === 0;
    return {
      name: fun,
      result: ok,
      comment: ok
        ? `Function ran successfully. Function ${fun} ran on ${Object.keys(out).sort().join(', ')}.`
        : `Running function ${fun} failed on minions: ${fail.sort().join(', ')}`,
      changes: Object.keys(out).length > 0 ? { ret: out, jid: run.jid } : {},
    };
  };

/** Whether a state run's return changed something. */
function changed(ret: unknown): boolean {
  if (ret === null || typeof ret !== 'object' || Array.isArray(ret)) return false;
  return Object.values(ret).some((s) => {
    const c = (s as { changes?: unknown } | null)?.changes;
    return c !== null && typeof c === 'object' && Object.keys(c).length > 0;
  });
}

/** Salt's `salt.state`: a highstate or SLS on a target; failed when a minion failed or did not return. */
export const saltState =
  (deps: StepDeps): StepFunction =>
  async (args, ctx) => {
    const sls = list(args['sls']);
    const highstate = args['highstate'] === true;
    // Salt's words when neither is given (salt/states/saltmod.py `state`).
    if (!highstate && sls.length === 0) return failed(args, 'No highstate or sls specified, no execution made');
    const kwargs: Record<string, unknown> = {};
    if (ctx.test || args['test'] === true) kwargs['test'] = true;
    if (args['pillar'] !== undefined) kwargs['pillar'] = args['pillar'];
    if (args['saltenv'] !== undefined) kwargs['saltenv'] = args['saltenv'];
    const req = request(
      args,
      highstate ? 'state.highstate' : 'state.sls',
      highstate ? {} : { args: [sls.join(',')], kwargs },
    );
    if (!req.ok) return failed(args, req.message);
    if (highstate) req.request.kwargs = kwargs;
    const run = await results(deps, req.request, ctx);
    if (!run.ok) return failed(args, run.message);
    const changes: Record<string, unknown> = {};
    const fail: string[] = [];
    const noChange: string[] = [];
    for (const r of run.results) {
      if (!r.success) {
        fail.push(r.id);
        changes[r.id] = r.outcome === 'returned' ? r.ret : noReturn(r);
      } else if (changed(r.ret)) changes[r.id] = r.ret;
      else noChange.push(r.id);
    }
    const name = String(args['name'] ?? '');
    if (fail.length > 0)
      return { name, result: false, comment: `Run failed on minions: ${fail.sort().join(', ')}`, changes };
    let comment = 'States ran successfully.';
    const updated = Object.keys(changes).sort();
    if (updated.length > 0) comment += ` Updating ${updated.join(', ')}.`;
    if (noChange.length > 0) comment += ` No changes made to ${noChange.sort().join(', ')}.`;
    return { name, result: ctx.test && updated.length > 0 ? null : true, comment, changes };
  };

/** The kwargs of a runner or wheel step: the declaration's, without the step's own keys. */
function callKwargs(args: Record<string, unknown>): Record<string, unknown> {
  const { name: _name, kwarg, ...rest } = args;
  return { ...rest, ...(kwarg !== null && typeof kwarg === 'object' ? (kwarg as Record<string, unknown>) : {}) };
}

/** Salt's `salt.runner` and `salt.wheel`: a master function by name; failed when it throws or is refused. */
export const saltMasterCall =
  (deps: StepDeps, kind: 'runner' | 'wheel'): StepFunction =>
  async (args, ctx) => {
    const fun = String(args['name'] ?? '');
    const label = kind === 'runner' ? 'Runner' : 'Wheel';
    if (ctx.test)
      return { name: fun, result: null, comment: `${label} function '${fun}' would be executed.`, changes: {} };
    try {
      const out = await (kind === 'runner' ? deps.runner : deps.wheel)(fun, callKwargs(args));
      return { name: fun, result: true, comment: `${label} function '${fun}' executed.`, changes: { return: out } };
    } catch (err) {
      return {
        name: fun,
        result: false,
        comment: `${label} function '${fun}' failed: ${(err as Error).message}`,
        changes: {},
      };
    }
  };

/** Salt's `salt.wait_for_event`: waits for an event whose tag matches `name` from each of `id_list`. */
export const saltWaitForEvent =
  (deps: StepDeps): StepFunction =>
  async (args, ctx) => {
    const tag = String(args['name'] ?? '');
    if (ctx.test)
      return { name: tag, result: null, comment: `Orchestration would wait for event '${tag}'`, changes: {} };
    const ids = list(args['id_list']);
    const eventId = String(args['event_id'] ?? 'id');
    const timeoutS = typeof args['timeout'] === 'number' ? args['timeout'] : WAIT_TIMEOUT_S;
    const clock = deps.scheduler ?? asyncScheduler;
    const startedMs = clock.now();
    const seen$ = deps.events$([tag]).pipe(
      filter((e) => globMatch(tag, e.tag)),
      scan(
        (acc, e) => {
          const id = idOf(e, eventId);
          if (id !== undefined && acc.waiting.includes(id))
            return { waiting: acc.waiting.filter((w) => w !== id), seen: [...acc.seen, id], any: true };
          return { ...acc, any: true };
        },
        { waiting: ids, seen: [] as string[], any: false },
      ),
      filter((acc) => acc.waiting.length === 0 && (ids.length > 0 || acc.any)),
      map((acc) => ({ done: true as const, seen: acc.seen })),
    );
    // The bus is hot: subscribe before anything can fire, and stop at the deadline or an abort.
    const outcome = await firstValueFrom(
      race(
        seen$,
        timer(timeoutS * 1000, clock).pipe(map(() => ({ done: false as const, seen: [] as string[] }))),
        fromEvent(ctx.signal, 'abort').pipe(map(() => ({ done: false as const, seen: [] as string[] }))),
      ),
    );
    if (!outcome.done) return { name: tag, result: false, comment: 'Timeout value reached.', changes: {} };
    const seconds = ((clock.now() - startedMs) / 1000).toFixed(3);
    return {
      name: tag,
      result: true,
      comment: `All events seen in ${seconds} seconds.`,
      changes: outcome.seen.length > 0 ? { minions_seen: outcome.seen } : {},
    };
  };

/** The minion an event names: `data[event_id]`, `data.data[event_id]`, or the `brine/minion/<id>/` tag. */
function idOf(e: BusEvent, eventId: string): string | undefined {
  const data = e.data as Record<string, unknown> | null;
  const direct = data?.[eventId];
  if (typeof direct === 'string') return direct;
  const inner = (data?.['data'] as Record<string, unknown> | undefined)?.[eventId];
  if (typeof inner === 'string') return inner;
  return /^brine\/minion\/([^/]+)\//.exec(e.tag)?.[1];
}
