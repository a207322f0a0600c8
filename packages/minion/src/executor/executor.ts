import type { Logger } from 'pino';
import { ErrorCode, buildAudience, createJidGenerator, type Frame, type JobSpec } from '@brine/protocol';
import { MinionError, MinionErrorCode } from '../errors.js';
import type {
  GrainsAccess,
  MasterFiles,
  MineAccess,
  ModuleFunction,
  PillarAccess,
  RunningJob,
  ScheduleControl,
} from '../modules/types.js';
import { NO_MASTER_MINE, NO_MASTER_PILLAR } from '../connection/pillar-client.js';
import { prepareCall } from '../modules/registry.js';
import { runKey, type JidLog } from '../outbox/jid-log.js';
import type { Outbox, ReturnRecord } from '../outbox/outbox.js';
import type { Session } from '../connection/connection.js';
import type { JobVerifier } from './job-verifier.js';
import { prepareCompound } from './prepare-compound.js';
import { withSpawner, type ProcessSpawner } from './process-spawner.js';
import { createTargetCache, type TargetCache } from './target-cache.js';
import { createTurnBatch, type TurnBatch } from './turn-batch.js';

/** Everything the executor needs; built by the daemon or the swarm. */
export interface ExecutorOptions {
  id: string;
  registry: ReadonlyMap<string, ModuleFunction>;
  outbox: Outbox;
  jidLog: JidLog;
  grains: GrainsAccess;
  files: MasterFiles;
  /** This minion's pillar from the master. @default none: pillar functions fail, saying so */
  pillar?: PillarAccess;
  /** The master's mine. @default none: mine functions fail, saying so */
  mine?: MineAccess;
  log: Logger;
  verifier: JobVerifier;
  /** Jobs running at once; more wait in a queue. @default 8 */
  maxConcurrent: number;
  /** Jobs waiting beyond the running ones before new ones are refused. @default 1000 */
  maxQueued: number;
  maxOutputBytes: number;
  cacheDir: string;
  now(): number;
  /** Makes the jid of a run of the minion's own schedule. @default a time-based generator */
  newJid?(): string;
  /** The minion's schedule, for the `schedule.*` functions (made after the executor). */
  schedule?(): ScheduleControl | undefined;
  /**
   * Where the checks for owed acks are queued (see Executor.#onPublish); a swarm's executors share
   * one, so a fan-out costs one `setImmediate`. @default a batch of this executor's own
   */
  afterTurn?: TurnBatch;
  /** Compiles a job's target once per spec object; shared in a swarm. @default a cache of its own */
  targets?: TargetCache;
  /** Starts the commands a job's function runs; a swarm's is its helper process. @default each from this process */
  spawner?: ProcessSpawner;
}

interface Run {
  spec: JobSpec;
  /** A run of the minion's own schedule: its name rides on the return (issue #19). */
  schedule?: string;
  /** Told when the run has finished, for the schedule's `max_running`. */
  onDone?: () => void;
  /** Made when the function first asks for its signal: most (test.ping, grains.get) never do. */
  controller?: AbortController;
  startedAt: number;
  /** When it times out, ms since epoch (from when it was queued). */
  deadline: number;
  /** Waiting for a free slot; its deadline already runs. */
  queued: boolean;
  /** Its ack (or its return, standing for the ack) has been sent: see Executor.#onPublish. */
  acked: boolean;
  timer?: NodeJS.Timeout;
  why?: 'cancelled' | 'timed_out';
}

/** The signal a run's function sees; already aborted when the run was stopped before it asked. */
function signalOf(run: Run): AbortSignal {
  if (!run.controller) {
    run.controller = new AbortController();
    if (run.why) run.controller.abort(run.why);
  }
  return run.controller.signal;
}

/**
 * Runs signed jobs on this minion: verifies each (signature, audience, expiry, target), runs it
 * at most once per (jid, attempt) across restarts, under a concurrency limit, a deadline and a
 * cancel signal; writes its return to the outbox before sending it.
 */
export class Executor {
  readonly #o: ExecutorOptions;
  readonly #running = new Map<string, Run>();
  readonly #queue: Run[] = [];
  #active = 0;
  #session: Session | undefined;
  #newJid: (() => string) | undefined;
  readonly #afterTurn: TurnBatch;
  readonly #targets: TargetCache;

  constructor(options: ExecutorOptions) {
    this.#o = options;
    this.#afterTurn = options.afterTurn ?? createTurnBatch();
    this.#targets = options.targets ?? createTargetCache();
    // A run accepted before a restart and never finished: report it interrupted, never re-run it.
    for (const run of options.jidLog.unfinished()) {
      if (!options.outbox.get(run.jid, run.attempt)) {
        const t = options.now();
        options.outbox.put({
          jid: run.jid,
          attempt: run.attempt,
          fun: run.fun,
          outcome: 'interrupted',
          ret: { code: MinionErrorCode.restarted, message: 'the minion restarted while the job ran' },
          retcode: 1,
          success: false,
          startedAt: t,
          endedAt: t,
          ...(run.schedule === undefined ? {} : { schedule: run.schedule }),
        });
      }
      options.jidLog.done(run.jid, run.attempt);
    }
  }

  /**
   * Runs a function for the minion itself, outside any job (the mine's timer runs `mine.update`):
   * no ack, no return, no outbox. Rejects with the function's error.
   */
  async callInternal(fun: string, timeoutMs = 60_000): Promise<unknown> {
    const o = this.#o;
    const call = prepareCall(o.registry, fun, [], {});
    if (!call.ok) throw new MinionError(call.error.code, call.error.message);
    const signal = AbortSignal.timeout(timeoutMs);
    const out = await withSpawner(o.spawner, () =>
      call.fn.run(call.input, {
        jid: 'internal',
        log: o.log.child({ internal: fun }),
        signal,
        timeoutMs,
        grains: o.grains,
        files: o.files,
        pillar: o.pillar ?? NO_MASTER_PILLAR,
        mine: o.mine ?? NO_MASTER_MINE,
        jobs: { running: () => this.running(), kill: (jid) => this.kill(jid) },
        registry: o.registry,
        emit: () => {},
        maxOutputBytes: o.maxOutputBytes,
        cacheDir: o.cacheDir,
      }),
    );
    return out.ret;
  }

  /** A new session: re-send every return the master has not acknowledged. */
  attach(session: Session): void {
    this.#session = session;
    for (const ret of this.#o.outbox.pending()) session.send({ type: 'job.return', ...ret });
  }

  detach(): void {
    this.#session = undefined;
  }

  /** Jids of the jobs running now. */
  runningJids(): string[] {
    return [...new Set([...this.#running.values()].map((r) => r.spec.jid))];
  }

  running(): RunningJob[] {
    return [...this.#running.values()].map((r) => ({ jid: r.spec.jid, fun: r.spec.fun, startedAt: r.startedAt }));
  }

  /** Cancels every run of a job; false when none is running. */
  kill(jid: string, why: 'cancelled' | 'timed_out' = 'cancelled'): boolean {
    let found = false;
    for (const run of this.#running.values()) {
      if (run.spec.jid !== jid) continue;
      found = true;
      this.#stop(run, why);
    }
    return found;
  }

  /**
   * Runs a job of the minion's own schedule: no master, no signature, a jid made here. Its return
   * goes through the outbox like any other, marked with the schedule's name, and reaches the
   * master when it is connected. `onDone` is told when the run has finished.
   */
  runScheduled(
    schedule: string,
    call: { fun: string; args: unknown[]; kwargs: Record<string, unknown>; timeoutMs: number },
    onDone?: () => void,
  ): string {
    const o = this.#o;
    const now = o.now();
    const jid = (this.#newJid ??=
      o.newJid ??
      (
        (gen) => () =>
          gen(o.now())
      )(createJidGenerator()))();
    const spec: JobSpec = {
      jid,
      attempt: 0,
      fun: call.fun,
      args: call.args,
      kwargs: call.kwargs,
      tgt: [o.id],
      tgtType: 'list',
      expiresAt: now + call.timeoutMs,
      timeoutMs: call.timeoutMs,
      stream: false,
      master: '',
      // Made here, never signed or verified: the minion is its own and only audience.
      audience: buildAudience([o.id]).commitment,
    };
    // Logged like a published job's, with its schedule: a run cut short by a restart is then
    // reported interrupted under that schedule at the next start (issue #19), never run again.
    o.jidLog.accept({ jid, attempt: 0, fun: call.fun, expiresAt: spec.expiresAt, schedule });
    o.log.info({ jid, fun: call.fun, schedule }, 'scheduled job started');
    const run = this.#enqueue(spec, { schedule, ...(onDone ? { onDone } : {}) });
    if (this.#running.get(runKey(jid, 0)) === run) this.#armDeadline(run);
    return jid;
  }

  /** Stops a run: one still queued ends at once without running; a running one is signalled. */
  #stop(run: Run, why: 'cancelled' | 'timed_out'): void {
    if (run.why) return;
    run.why = why;
    if (run.queued) {
      this.#queue.splice(this.#queue.indexOf(run), 1);
      const ret = {
        code: MinionErrorCode.notStarted,
        message: `the job was ${why === 'timed_out' ? 'timed out' : 'cancelled'} before a slot was free`,
      };
      this.#finish(run, { outcome: 'returned', ret, retcode: 1, success: false });
      return;
    }
    run.controller?.abort(why);
  }

  /** Handles frames from the master that concern jobs. */
  onFrame(frame: Frame, session: Session): void {
    if (frame.type === 'job.publish') this.#onPublish(frame, session);
    else if (frame.type === 'job.cancel') this.kill(frame.jid);
    else if (frame.type === 'ret.ack') for (const [jid, attempt] of frame.items) this.#o.outbox.ack(jid, attempt);
  }

  #onPublish(frame: Frame<'job.publish'>, session: Session): void {
    const o = this.#o;
    const verified = o.verifier.verify(session.masterPub, session.masterFingerprint, frame.spec, frame.sig);
    if (!verified.ok) {
      // Nothing trustworthy to ack against: a frame that fails its signature gets no answer at all.
      o.log.warn({ code: verified.error.code }, 'job refused: bad signature or spec');
      return;
    }
    const spec = verified.spec;
    const refuse = (code: string): void => {
      session.send({ type: 'job.ack', jid: spec.jid, attempt: spec.attempt, state: 'refused', code });
    };
    if (spec.expiresAt <= o.now()) return refuse(ErrorCode.JOB_EXPIRED);
    const target = this.#targets(spec);
    if (!target.ok || !target.match({ id: o.id, grains: o.grains.all() })) return refuse(ErrorCode.JOB_NOT_TARGETED);
    // The target may select this minion and the master still not have sent it here (it was
    // offline at the job's start): only the signed audience says so (issue #13, finding 5).
    if (!o.verifier.selected(spec, frame.proof, o.id)) return refuse(ErrorCode.JOB_NOT_SELECTED);
    if (!o.jidLog.accept({ jid: spec.jid, attempt: spec.attempt, fun: spec.fun, expiresAt: spec.expiresAt })) {
      session.send({ type: 'job.ack', jid: spec.jid, attempt: spec.attempt, state: 'duplicate' });
      const done = o.outbox.get(spec.jid, spec.attempt);
      if (done) session.send({ type: 'job.return', ...done });
      return;
    }
    if (this.#queue.length >= o.maxQueued) {
      o.jidLog.done(spec.jid, spec.attempt);
      return refuse(ErrorCode.EXECUTOR_BUSY);
    }
    o.log.info({ jid: spec.jid, attempt: spec.attempt, fun: spec.fun }, 'job accepted');
    // The ack goes out on the next turn of the event loop; a job that finished by then (test.ping,
    // grains.get) sends only its return, marked as the ack too: one frame instead of two.
    const run = this.#enqueue(spec);
    this.#afterTurn(() => {
      // Not acked yet: the job has not returned, so it needs its own ack.
      if (!run.acked) {
        run.acked = true;
        session.send({ type: 'job.ack', jid: spec.jid, attempt: spec.attempt, state: 'started' });
      }
      // Still running: now it needs its deadline timer (a job done by now never makes one).
      if (this.#running.get(runKey(spec.jid, spec.attempt)) === run) this.#armDeadline(run);
    });
  }

  /** Arms a run's deadline: `timeoutMs` from when it was queued, whatever is left of it now. */
  #armDeadline(run: Run): void {
    const left = run.deadline - this.#o.now();
    run.timer = setTimeout(() => this.#stop(run, 'timed_out'), Math.max(0, left));
  }

  /**
   * Queues a job. Its deadline counts from here, not from when a slot frees up: a job that waits
   * past its timeout, or is cancelled while waiting, ends without running.
   */
  #enqueue(spec: JobSpec, scheduled?: Pick<Run, 'schedule' | 'onDone'>): Run {
    const o = this.#o;
    const now = o.now();
    // A scheduled run has no master to ack to: marked acked, so its return is not an implicit ack.
    const run: Run = {
      spec,
      startedAt: now,
      deadline: now + spec.timeoutMs,
      queued: true,
      acked: scheduled !== undefined,
      ...scheduled,
    };
    this.#running.set(runKey(spec.jid, spec.attempt), run);
    this.#queue.push(run);
    this.#pump();
    return run;
  }

  #pump(): void {
    while (this.#active < this.#o.maxConcurrent && this.#queue.length > 0) {
      const run = this.#queue.shift()!;
      run.queued = false;
      this.#active++;
      void this.#execute(run).finally(() => {
        this.#active--;
        this.#pump();
      });
    }
  }

  async #execute(run: Run): Promise<void> {
    const o = this.#o;
    const spec = run.spec;
    run.startedAt = o.now();
    let seq = 0;
    let childLog: Logger | undefined;
    let result: Pick<ReturnRecord, 'ret' | 'retcode' | 'success' | 'outcome'>;
    try {
      const call = prepareCompound(o.registry, spec) ?? prepareCall(o.registry, spec.fun, spec.args, spec.kwargs);
      if (!call.ok) {
        result = { outcome: 'returned', ret: call.error, retcode: 254, success: false };
      } else {
        // In the job's async context, so every command it starts goes through o.spawner.
        const out = await withSpawner(o.spawner, () =>
          call.fn.run(call.input, {
            jid: spec.jid,
            // A child logger costs a few microseconds; most functions never log, so make it on first use.
            get log() {
              return (childLog ??= o.log.child({ jid: spec.jid }));
            },
            get signal() {
              return signalOf(run);
            },
            timeoutMs: spec.timeoutMs,
            grains: o.grains,
            files: o.files,
            pillar: o.pillar ?? NO_MASTER_PILLAR,
            mine: o.mine ?? NO_MASTER_MINE,
            jobs: { running: () => this.running(), kill: (jid) => this.kill(jid) },
            registry: o.registry,
            emit: (stream, data) => {
              if (spec.stream) this.#session?.send({ type: 'job.progress', jid: spec.jid, seq: seq++, stream, data });
            },
            maxOutputBytes: o.maxOutputBytes,
            cacheDir: o.cacheDir,
            fireEvent: (tag, data) => this.#session?.send({ type: 'event', tag, data }) ?? false,
            ...(o.schedule?.() ? { schedule: o.schedule()! } : {}),
          }),
        );
        const retcode = out.retcode ?? 0;
        result = { outcome: 'returned', ret: out.ret, retcode, success: out.success ?? retcode === 0 };
      }
    } catch (err) {
      const wire =
        err instanceof MinionError
          ? err.toWire()
          : { code: MinionErrorCode.function, message: (err as Error).message ?? String(err) };
      result = { outcome: 'returned', ret: wire, retcode: 1, success: false };
    }
    this.#finish(run, result);
  }

  /** Records a run's return: outbox first (durable), then the jid log, then the master. */
  #finish(run: Run, outcome: Pick<ReturnRecord, 'ret' | 'retcode' | 'success' | 'outcome'>): void {
    const o = this.#o;
    const spec = run.spec;
    clearTimeout(run.timer);
    let result = outcome;
    if (run.why) result = { ...result, outcome: run.why, success: false };
    const record: ReturnRecord = {
      jid: spec.jid,
      attempt: spec.attempt,
      fun: spec.fun,
      ...result,
      startedAt: run.startedAt,
      endedAt: o.now(),
      ...(run.schedule !== undefined ? { schedule: run.schedule } : {}),
    };
    try {
      o.outbox.put(record);
    } catch (err) {
      o.log.error({ err: (err as Error).message, jid: spec.jid }, 'outbox write failed; sending the return anyway');
    }
    o.jidLog.done(spec.jid, spec.attempt);
    run.onDone?.();
    o.log.info(
      { jid: spec.jid, attempt: spec.attempt, outcome: record.outcome, retcode: record.retcode },
      'job finished',
    );
    this.#running.delete(runKey(spec.jid, spec.attempt));
    const implicitAck = !run.acked;
    run.acked = true;
    this.#session?.send({ type: 'job.return', ...record, ...(implicitAck ? { implicitAck } : {}) });
  }
}
