import {
  ApiErrorCode,
  buildAudience,
  compileTarget,
  type ApiErrorCodeValue,
  type AudienceTree,
  type ErrorCodeValue,
  expandNodegroups,
  splitTargetList,
  targetUsesPillar,
  type JobRequest,
  type JobSpec,
  type MinionResult,
  type TargetOptions,
} from '@brine/protocol';
import {
  type Observable,
  Subject,
  type SchedulerLike,
  type Subscription,
  bufferTime,
  connect,
  filter,
  finalize,
  ignoreElements,
  map,
  merge,
  takeLast,
  tap,
  timer,
} from 'rxjs';
import { resumeTerms, splitSettled, withSettled, type AdoptedJob } from './job-takeover.js';
import { stateProgress } from './state-progress.js';
import { JobEventLog } from './job-event-log.js';
import { Reason } from './results.js';
import { summarize } from './summary.js';
import type { FrameRouter } from './frame-router.js';
import type { EventBus } from './event-bus.js';
import type { JobStore, ResultWrite } from './job-store.js';
import { MasterErrorCode } from '../errors.js';
import type { MinionRegistry } from './registry.js';
import { runJob$, type JobEvent, type JobPlan } from './run-job.js';

/** Everything the job manager needs, injected by main.ts. */
export interface JobManagerDeps {
  /** The minions jobs resolve over and reach (with several masters, those of all of them). */
  registry: Pick<MinionRegistry, 'select' | 'isConnected' | 'get' | 'link' | 'changes$'>;
  router: Pick<FrameRouter, 'frames$'>;
  bus: EventBus;
  store: JobStore;
  scheduler: SchedulerLike;
  now(): number;
  newJid(): string;
  /**
   * Signs a job spec once and gives the encoded `job.publish` frame for each minion of its
   * audience (the same bytes for the minions of one audience page); undefined outside it.
   */
  publishFrame(spec: JobSpec, audience: AudienceTree): (id: string) => Uint8Array | undefined;
  /** Encodes a `job.cancel` frame. */
  cancelFrame(jid: string): Uint8Array;
  /** The master's key fingerprint: the audience of every job it signs. */
  masterFingerprint: string;
  targetOptions: TargetOptions;
  ackTimeoutMs: number;
  /** Extra wait after a job timeout for the minion's own timed-out return. */
  graceMs: number;
  /**
   * Ownership of the jobs this master starts, where masters share a database: `claim` right
   * after the job is stored (before anything is sent), `release` once it is finished.
   */
  ownership?: {
    claim(job: { jid: string; request: JobRequest; user: string; startedAt: number }): void;
    release(jid: string): void;
  };
}

/** A started job: its jid, the minions it targets, and its live events (replayed from the start). */
export interface StartedJob {
  jid: string;
  minions: string[];
  events$: Observable<JobEvent>;
}

/** Why a job was not started. */
export interface StartRefusal {
  code: ApiErrorCodeValue | ErrorCodeValue;
  message: string;
  position?: number;
}

interface ActiveJob {
  jid: string;
  fun: string;
  user: string;
  startedAt: number;
  minions: string[];
  cancel$: Subject<void>;
  events: JobEventLog;
  /** The highest execution-retry attempt published for this job. */
  maxAttempt: number;
  subscription: Subscription;
}

/**
 * Starts jobs and keeps the active ones: resolves the target, records the job, signs it once,
 * runs the fan-out pipeline, persists non-returned outcomes in batches, and publishes events.
 */
export class JobManager {
  readonly #deps: JobManagerDeps;
  readonly #active = new Map<string, ActiveJob>();

  constructor(deps: JobManagerDeps) {
    this.#deps = deps;
  }

  /** The minions a target selects, without publishing anything. */
  preview(
    target: JobRequest['target'],
    targetType: JobRequest['targetType'],
  ): { ok: true; minions: string[] } | { ok: false; error: StartRefusal } {
    const compiled = compileTarget(target, targetType, this.#deps.targetOptions);
    if (!compiled.ok) return { ok: false, error: compiled.error };
    const minions = this.#deps.registry.select(compiled.match);
    if (targetType !== 'list') return { ok: true, minions };
    // A list names minions outright: one the master does not know is still targeted, and is
    // reported (offline, unknown_minion) instead of silently dropped.
    const listed = typeof target === 'string' ? splitTargetList(target) : target;
    const known = new Set(minions);
    return { ok: true, minions: [...minions, ...listed.filter((id) => !known.has(id))] };
  }

  /**
   * Starts a job. Nothing is published, and no jid is assigned, for a target that does not
   * parse or selects no minion.
   */
  start(
    request: JobRequest,
    user: string,
    allowed?: (ids: string[]) => StartRefusal | undefined,
  ): { ok: true; job: StartedJob } | { ok: false; error: StartRefusal } {
    const d = this.#deps;
    const selected = this.preview(request.target, request.targetType);
    if (!selected.ok) return selected;
    const minions = selected.minions;
    if (minions.length === 0) {
      return {
        ok: false,
        error: {
          code: ApiErrorCode.noMinions,
          message: 'No minions matched the target. No command was sent, no jid was assigned.',
        },
      };
    }
    const refusal = allowed?.(minions);
    if (refusal) return { ok: false, error: refusal };
    const startedAt = d.now();
    // Several masters share one job cache, and two of them can draw the same jid in the same
    // millisecond: the one whose row is second takes its next jid, as many times as it takes.
    const jid = withFreshJid(d.newJid, (candidate) =>
      d.store.createJob({
        jid: candidate,
        fun: request.fun,
        args: request.args,
        kwargs: request.kwargs,
        target: request.target,
        targetType: request.targetType,
        user,
        startedAt,
        minions,
      }),
    );
    d.ownership?.claim({ jid, request, user, startedAt });
    d.bus.publish(`brine/job/${jid}/new`, {
      jid,
      fun: request.fun,
      target: request.target,
      targetType: request.targetType,
      user,
      minions: minions.length,
    });
    return { ok: true, job: this.#launch({ jid, request, user, startedAt, minions, settled: [] }) };
  }

  /**
   * Runs a job whose owner died (its lease ended) from where the store has it: the minions with
   * an outcome keep it, the others are sent the job again (a minion that has it answers
   * `duplicate`) under deadlines recomputed from the stored start ({@link resumeTerms}); the
   * summary counts every minion. Never errors.
   */
  adopt(job: AdoptedJob): StartedJob {
    const d = this.#deps;
    const { settled, pending } = splitSettled(job.rows);
    const request = resumeTerms(job.request, job.startedAt, d.now(), d.ackTimeoutMs);
    d.bus.publish(`brine/job/${job.jid}/adopted`, { jid: job.jid, pending: pending.length, settled: settled.length });
    const { jid, user, startedAt } = job;
    return this.#launch({ jid, request, user, startedAt, minions: pending, settled, adopted: true });
  }

  #launch(job: {
    jid: string;
    request: JobRequest;
    user: string;
    startedAt: number;
    minions: string[];
    settled: MinionResult[];
    /**
     * Taken over: every minion still waited for is sent the job (the old owner's audience), and
     * one moving between masters just now gets its ack window to reconnect, not `offline`.
     */
    adopted?: boolean;
  }): StartedJob {
    const d = this.#deps;
    const { jid, request, user, startedAt, minions } = job;
    const ackTimeoutMs = request.ackTimeoutMs ?? d.ackTimeoutMs;
    const frames = new Map<number, (id: string) => Uint8Array | undefined>();
    const minionTarget = this.#minionTarget(request, minions);
    // The audience: the selected minions connected now, the only ones the job is sent to. The
    // signature binds it, so a captured frame does not run on a minion that was offline, even
    // one the target matches (issue #13, finding 5).
    let starting = job.adopted === true;
    const online = starting ? minions : minions.filter((id) => d.registry.isConnected(id));
    const audience = online.length > 0 ? buildAudience(online) : undefined;
    const frameFor = (attempt: number, id: string) => {
      if (!audience) return undefined;
      active.maxAttempt = Math.max(active.maxAttempt, attempt);
      let forMinion = frames.get(attempt);
      if (!forMinion) {
        // Stored before any minion can answer it: its return is accepted after a restart too.
        if (attempt > 0) d.store.notePublishedAttempt(jid, attempt);
        forMinion = d.publishFrame(
          {
            jid,
            attempt,
            fun: request.fun,
            args: request.args,
            kwargs: request.kwargs,
            ...minionTarget,
            // The minion refuses to start the job after this: a captured frame cannot be replayed later.
            expiresAt:
              d.now() +
              ackTimeoutMs +
              (request.retries ?? 0) * (request.timeoutMs + (request.retryDelayMs ?? 0)) +
              60_000,
            timeoutMs: request.timeoutMs,
            stream: request.stream,
            master: d.masterFingerprint,
            audience: audience.commitment,
          },
          audience,
        );
        frames.set(attempt, forMinion);
      }
      return forMinion(id);
    };
    const plan: JobPlan = {
      jid,
      fun: request.fun,
      minions,
      frameFor,
      ackTimeoutMs,
      jobTimeoutMs: request.timeoutMs,
      batchSize: batchSize(request.batch, minions.length),
      batchWaitMs: request.batchWaitMs,
      failhard: request.failhard,
      first: request.first,
      deadlineMs: request.deadlineMs,
      retries: request.retries,
      retryDelayMs: request.retryDelayMs,
      graceMs: d.graceMs,
    };
    const cancel$ = new Subject<void>();
    const events = new JobEventLog();
    const run$ = runJob$(
      plan,
      {
        scheduler: d.scheduler,
        frames: (j) => d.router.frames$(j),
        connections$: d.registry.changes$,
        isConnected: (id) => starting || d.registry.isConnected(id),
        isKnown: (id) => d.registry.get(id) !== undefined,
        send: (id, bytes) => d.registry.link(id)?.send(bytes) ?? false,
        cancel: (id, j) => void d.registry.link(id)?.send(d.cancelFrame(j)),
      },
      cancel$,
    );
    const job$ = job.settled.length === 0 ? run$ : withSettled(run$, job, d.now);
    const active: ActiveJob = {
      jid,
      fun: request.fun,
      user,
      startedAt,
      minions,
      cancel$,
      events,
      maxAttempt: 0,
      subscription: undefined!,
    };
    this.#active.set(jid, active);
    active.subscription = this.#persist(jid, request.fun, job$).subscribe((e) => events.push(e));
    // The start step ran within subscribe: from here on a minion is connected only if it is.
    starting = false;
    return { jid, minions, events$: events.events$() };
  }

  /** Whether any job is running. */
  get busy(): boolean {
    return this.#active.size > 0;
  }

  /**
   * Whether a return for `attempt` of `jid` answers a job frame this master published: attempt 0
   * always; a retry attempt once it was sent, whether its job still runs here or ran before a
   * restart (the job cache keeps the highest attempt published). A minion cannot make up a later
   * attempt to overwrite its stored result.
   */
  attemptPublished(jid: string, attempt: number): boolean {
    if (attempt === 0) return true;
    const active = this.#active.get(jid);
    return attempt <= (active ? active.maxAttempt : this.#deps.store.publishedAttempt(jid));
  }

  /** Cancels an active job; false when no such job is running. */
  cancel(jid: string): boolean {
    const job = this.#active.get(jid);
    if (!job) return false;
    job.cancel$.next();
    return true;
  }

  /** The live events of an active job, replayed from its start; undefined once it finished. */
  events$(jid: string): Observable<JobEvent> | undefined {
    return this.#active.get(jid)?.events.events$();
  }

  /** The active jobs. */
  active(): { jid: string; fun: string; user: string; startedAt: number; minions: number }[] {
    return [...this.#active.values()].map((j) => ({
      jid: j.jid,
      fun: j.fun,
      user: j.user,
      startedAt: j.startedAt,
      minions: j.minions.length,
    }));
  }

  /**
   * Finishes jobs that were running when the master stopped (they have no end time in the
   * cache). Minions deliver what they still hold once they reconnect, so this waits `waitMs`
   * first; then every minion still without an outcome is `interrupted` (`master_restarted`), and
   * the job gets its summary. A return that arrives even later still replaces that outcome.
   */
  recoverUnfinished(waitMs: number): void {
    const d = this.#deps;
    const jobs = d.store.unfinishedJobs().filter((j) => !this.#active.has(j.jid));
    if (jobs.length === 0) return;
    timer(waitMs, d.scheduler).subscribe(() => {
      for (const listing of jobs) {
        const found = d.store.lookupJob(listing.jid);
        if (!found || this.#active.has(listing.jid)) continue;
        const missing = found.minions.filter((m) => m.outcome === null);
        d.store.writeResults(
          missing.map((m) => ({
            jid: listing.jid,
            id: m.id,
            outcome: 'interrupted',
            success: false,
            reason: Reason.masterRestarted,
          })),
        );
        const after = d.store.lookupJob(listing.jid)!;
        const results = after.minions.map((m) => ({ ...m, outcome: m.outcome ?? 'interrupted' }) as MinionResult);
        const summary = summarize(listing.jid, listing.fun, results, d.now() - listing.startedAt);
        d.store.finishJob(listing.jid, d.now(), summary);
        d.bus.publish(`brine/job/${listing.jid}/done`, summary);
      }
    });
  }

  /** Cancels every active job (shutdown). */
  cancelAll(): void {
    for (const job of this.#active.values()) job.cancel$.next();
  }

  /**
   * Stops running every active job here without deciding anything for its minions: no outcome,
   * no cancel sent, no summary (shutdown beside other masters, which take the jobs over once
   * this master's lease is gone).
   */
  leaveAll(): void {
    for (const jid of [...this.#active.keys()]) this.leave(jid);
  }

  /** Stops running one active job here without deciding anything (another master runs it now). */
  leave(jid: string): void {
    this.#active.get(jid)?.subscription.unsubscribe();
  }

  /** How minions should evaluate the target: nodegroups are inlined, since minions do not know them. */
  #minionTarget(request: JobRequest, minions: string[]): Pick<JobSpec, 'tgt' | 'tgtType'> {
    // Only the master holds compiled pillars (and a minion never sees another's), so a pillar
    // target reaches minions as the list of ids the master selected.
    if (targetUsesPillar(request.target, request.targetType, this.#deps.targetOptions)) {
      return { tgt: minions, tgtType: 'list' };
    }
    const expanded = expandNodegroups(request.target, request.targetType, this.#deps.targetOptions);
    // The target compiled a moment ago with the same options, so this cannot fail; fall back to ids.
    if (!expanded.ok) return { tgt: minions, tgtType: 'list' };
    return { tgt: expanded.tgt, tgtType: expanded.tgtType };
  }

  /**
   * Persists what the pipeline decided (non-returns; returns are stored by the ingest before
   * they reach the pipeline) in batches (`bufferTime`: every 100 ms, or at 1,000 rows), publishes
   * bus events as they come, and at the end writes the last batch, then finishes the job in the
   * store, then emits `done`: whoever sees `done` finds every row stored.
   */
  #persist(jid: string, fun: string, job$: Observable<JobEvent>): Observable<JobEvent> {
    const d = this.#deps;
    return job$.pipe(
      tap((e) => {
        // jid and fun ride along, as in Salt's ret events, so a reactor can tell whose return it is.
        if (e.type === 'result') d.bus.publish(`brine/job/${jid}/ret/${e.result.id}`, { ...e.result, jid, fun });
        else if (e.type === 'progress' && e.stream === 'state') {
          const state = stateProgress(e.data);
          if (state !== undefined) d.bus.publish(`brine/job/${jid}/prog/${e.id}`, state);
        } else if (e.type === 'progress')
          d.bus.publish(`brine/job/${jid}/progress/${e.id}`, { stream: e.stream, data: e.data });
      }),
      // On completion the branches are told in the order they subscribed: the buffer writes its
      // last rows before takeLast lets `done` through.
      connect((events$) =>
        merge(
          events$.pipe(filter((e) => e.type !== 'done')),
          events$.pipe(
            filter((e): e is Extract<JobEvent, { type: 'result' }> => e.type === 'result' && !e.fromMinion),
            map((e) => toWrite(jid, e.result)),
            bufferTime(100, null, 1000, d.scheduler),
            tap((rows) => rows.length > 0 && d.store.writeResults(rows)),
            ignoreElements(),
          ),
          events$.pipe(
            takeLast(1),
            filter((e): e is Extract<JobEvent, { type: 'done' }> => e.type === 'done'),
            tap((e) => {
              d.store.finishJob(jid, d.now(), e.summary);
              d.ownership?.release(jid);
              d.bus.publish(`brine/job/${jid}/done`, e.summary);
            }),
          ),
        ),
      ),
      finalize(() => this.#active.delete(jid)),
    );
  }
}

function toWrite(jid: string, r: MinionResult): ResultWrite {
  return { ...r, jid };
}

/** Resolves `-b 10` or `-b 25%` against the number of targets; undefined means no batching. */
export function batchSize(batch: number | string | undefined, targets: number): number | undefined {
  if (batch === undefined) return undefined;
  if (typeof batch === 'number') return batch;
  const pct = Number(batch.slice(0, -1));
  return Math.max(1, Math.ceil((targets * pct) / 100));
}

/** How many jids a start draws before a jid already in the job cache is an error. */
const JID_DRAWS = 20;

/**
 * Calls `create` with jids from `newJid` until one is not already stored (another master drew
 * it in the same millisecond); returns the jid stored. Any other failure is thrown as it came.
 */
export function withFreshJid(newJid: () => string, create: (jid: string) => void): string {
  for (let draw = 1; ; draw++) {
    const jid = newJid();
    try {
      create(jid);
      return jid;
    } catch (err) {
      if ((err as { code?: unknown }).code !== MasterErrorCode.storeJidExists || draw >= JID_DRAWS) throw err;
    }
  }
}
