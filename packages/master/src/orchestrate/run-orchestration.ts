import { type Observable, NEVER, lastValueFrom, shareReplay, take, takeUntil, tap } from 'rxjs';
import { runStates$, type StateResult, type StateRunEvent } from '@brine/state';
import type { EventBus } from '../core/event-bus.js';
import type { JobStore } from '../core/job-store.js';
import { summarize } from '../core/summary.js';
import { compileOrchestration, orchestrateRegistry, type OrchestrateRequest } from './orchestrate.js';
import type { StepDeps } from './salt-steps.js';

/** What an orchestration run needs of the master: where SLS files are, jids and the master's id. */
export interface OrchestrateServices {
  /** The master's `file_roots`, where orchestration SLS files are read. */
  fileRoots: readonly string[];
  /** A fresh jid for each run, from the job manager's generator. */
  newJid(): string;
  /** The master's id in results and the job cache, Salt's `<host>_master`. */
  masterId: string;
}

/** The orchestrate runner's function name, as the job cache stores a run. */
export const ORCHESTRATE_FUN = 'state.orchestrate';

/** Where an orchestration run is recorded and announced. */
export interface OrchestrationRunDeps {
  store: Pick<JobStore, 'createJob' | 'writeResults' | 'finishJob'>;
  bus: Pick<EventBus, 'publish'>;
  now(): number;
  services: OrchestrateServices;
}

/** One orchestration run: what to run, as whom, and through which steps. */
export interface OrchestrationCall {
  request: OrchestrateRequest;
  test: boolean;
  /** The calling user (or the reactor's identity), recorded as the job's user. */
  user: string;
  /** The steps' services, as that user, under that user's ACL. */
  steps: StepDeps;
  /** Stops the run (and the jobs of the steps in flight) when it emits. @default never */
  stop$?: Observable<unknown>;
}

/** How an orchestration run ended: its state results, or the compile problems. */
export interface OrchestrationResult {
  jid: string;
  success: boolean;
  ret: Record<string, StateResult> | string[];
}

/** The keyword arguments Salt's `state.orchestrate` takes (and `state.orchestrate_show_sls`). */
export const ORCHESTRATE_PARAMS = [
  'mods',
  'saltenv',
  'test',
  'exclude',
  'pillar',
  'pillarenv',
  'pillar_enc',
  'orchestration_jid',
];

/**
 * Salt's `state.orchestrate` keyword arguments as a request: `mods` (a name, a comma-separated
 * list or a list), `saltenv`, `pillar` (a mapping). Never throws: a problem is answered.
 */
export function orchestrateRequestOf(
  kwargs: Readonly<Record<string, unknown>>,
): { ok: true; request: OrchestrateRequest } | { ok: false; message: string } {
  const mods = [kwargs['mods']].flat().flatMap((m) => (typeof m === 'string' ? m.split(',') : []));
  if (mods.length === 0 || mods.some((m) => m.trim() === ''))
    return { ok: false, message: 'mods: name one or more orchestration SLS files' };
  const pillar = kwargs['pillar'];
  if (pillar !== undefined && pillar !== null && (typeof pillar !== 'object' || Array.isArray(pillar)))
    return { ok: false, message: 'pillar: a mapping' };
  return {
    ok: true,
    request: {
      mods: mods.map((m) => m.trim()),
      saltenv: typeof kwargs['saltenv'] === 'string' ? kwargs['saltenv'] : 'base',
      ...(pillar ? { pillar: pillar as Record<string, unknown> } : {}),
    },
  };
}

/**
 * Starts an orchestration and stores it as a job whose one "minion" is the master: the job is
 * created and `brine/run/<jid>/new` published before this returns (so the caller has the jid at
 * once), then one `brine/run/<jid>/step` per step as its result is known, then
 * `brine/run/<jid>/ret` and the stored result. `done` resolves with the outcome; it rejects only
 * when the job cache cannot be written.
 */
export function startOrchestration(
  d: OrchestrationRunDeps,
  call: OrchestrationCall,
): { jid: string; done: Promise<OrchestrationResult> } {
  const { request, test, user } = call;
  const o = d.services;
  const jid = o.newJid();
  const startedAt = d.now();
  d.store.createJob({
    jid,
    fun: ORCHESTRATE_FUN,
    args: [request.mods.join(',')],
    kwargs: { saltenv: request.saltenv ?? 'base', ...(test ? { test: true } : {}) },
    target: o.masterId,
    targetType: 'list',
    user,
    startedAt,
    minions: [o.masterId],
  });
  d.bus.publish(`brine/run/${jid}/new`, { jid, fun: ORCHESTRATE_FUN, mods: request.mods, user, test });
  // Listened to from now on, so a stop while the files are still compiling is not missed.
  const stop$ = (call.stop$ ?? NEVER).pipe(take(1), shareReplay(1));
  const listening = stop$.subscribe();
  const done = (async (): Promise<OrchestrationResult> => {
    const compiled = await compileOrchestration(o.fileRoots, request);
    let ret: Record<string, StateResult> | string[];
    let complete = true;
    if (!compiled.ok) ret = compiled.problems.map((x) => x.message);
    else {
      const seen: Record<string, StateResult> = {};
      const events = runStates$(compiled.plan, orchestrateRegistry(call.steps), { test }).pipe(
        takeUntil(stop$),
        tap((e: StateRunEvent) => {
          if (e.type !== 'state') return;
          seen[e.key] = e.result;
          d.bus.publish(`brine/run/${jid}/step`, { jid, key: e.key, result: e.result });
        }),
      );
      const last = await lastValueFrom(events, { defaultValue: undefined });
      complete = last?.type === 'return';
      ret = last?.type === 'return' ? last.results : seen;
    }
    const success = complete && !Array.isArray(ret) && Object.values(ret).every((r) => r.result !== false);
    const durationMs = d.now() - startedAt;
    const result = { id: o.masterId, outcome: 'returned' as const, success, retcode: success ? 0 : 1, ret, durationMs };
    d.store.writeResults([{ jid, ...result }]);
    d.store.finishJob(jid, d.now(), summarize(jid, ORCHESTRATE_FUN, [result], durationMs));
    d.bus.publish(`brine/run/${jid}/ret`, { jid, fun: ORCHESTRATE_FUN, success, user, return: ret });
    return { jid, success, ret };
  })().finally(() => listening.unsubscribe());
  return { jid, done };
}
