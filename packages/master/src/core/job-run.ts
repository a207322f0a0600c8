import type { JobSummary, MinionResult } from '@brine/protocol';
import type { SchedulerLike, Subscription } from 'rxjs';
import { DeadlineQueue } from './deadline-queue.js';
import type { JobFrame } from './minion-link.js';
import { Reason, nonReturn } from './results.js';
import { summarize } from './summary.js';

/** What a job emits for one minion: live output while it runs, then exactly one result. */
export type MinionEvent =
  | { type: 'progress'; id: string; stream: 'stdout' | 'stderr'; data: string }
  | { type: 'result'; result: MinionResult; attempt: number; fromMinion: boolean };

/** What a running job emits: minion events, then one `done`. */
export type JobEvent = MinionEvent | { type: 'done'; summary: JobSummary };

/** A job ready to fan out: targets resolved, frames signed. */
export interface JobPlan {
  jid: string;
  fun: string;
  /** Every targeted minion, in order. */
  minions: readonly string[];
  /**
   * The signed `job.publish` frame of an attempt (0 first; retries sign the next attempt) for one
   * minion; undefined for a minion outside the job's signed audience (the minions connected when
   * the job started), which would refuse it.
   */
  frameFor(attempt: number, id: string): Uint8Array | undefined;
  ackTimeoutMs: number;
  jobTimeoutMs: number;
  /** Minions running at once; `undefined` for all at once. */
  batchSize?: number | undefined;
  /** Pause after each minion finishes before its slot starts the next, in batch mode. */
  batchWaitMs?: number | undefined;
  /** Start no new minion after the first failure. */
  failhard?: boolean | undefined;
  /** Finish after this many successful returns and cancel the rest. */
  first?: number | undefined;
  /** Re-run a failed function on that minion up to this many times. */
  retries?: number | undefined;
  retryDelayMs?: number | undefined;
  /** Extra wait after the job timeout for the minion's own timed-out return. @default 2000 */
  graceMs?: number | undefined;
}

/** What a job run reaches outside itself; all of it injected. */
export interface JobRunDeps {
  scheduler: SchedulerLike;
  /** The current time in ms, from the scheduler in tests. */
  now(): number;
  isConnected(id: string): boolean;
  /** Whether the master knows the minion at all; unknown ones are `unknown_minion`. */
  isKnown?(id: string): boolean;
  /** Queues the job's frame bytes for a minion; false when it could not be queued. */
  send(id: string, bytes: Uint8Array): boolean;
  /** Tells a minion that may be running the job to stop it. */
  cancel(id: string, jid: string): void;
}

type Phase = 'awaiting_ack' | 'running' | 'retry_wait' | 'done';
interface MinionState {
  phase: Phase;
  attempt: number;
  /** Holds a batch slot (it was launched, not cancelled before starting). */
  launched: boolean;
}
type Due = { id: string; attempt: number };

/**
 * One job's fan-out as a state machine: a map of per-minion states and four deadline queues
 * (acks, runs, retries, batch slots) driven by one scheduler action, so a job to 10,000 minions
 * costs O(1) per minion and per frame. (A subscription chain per minion cost O(n^2): RxJS keeps
 * a parent's child subscriptions in an array and removes each one by search.)
 *
 * The rules, per minion: offline at its start (or outside the signed audience) is `offline`; otherwise the job is sent, and sent
 * again on each reconnect until acked; no ack within `ackTimeoutMs` of the send is `no_ack`; a
 * refused ack is `no_ack` with the minion's code; after the ack, no return within
 * `jobTimeoutMs + graceMs` is `timed_out`; a return may come at any point. A failed return is
 * re-run up to `retries` times. Each minion gets exactly one result, then the job emits `done`.
 */
export class JobRun {
  readonly #plan: JobPlan;
  readonly #deps: JobRunDeps;
  readonly #emit: (e: JobEvent) => void;
  readonly #complete: () => void;
  readonly #states = new Map<string, MinionState>();
  readonly #results: MinionResult[] = [];
  readonly #ackQ = new DeadlineQueue<Due>();
  readonly #runQ = new DeadlineQueue<Due>();
  readonly #retryQ = new DeadlineQueue<Due>();
  readonly #slotQ = new DeadlineQueue<null>();
  readonly #slots: number;
  readonly #startedAt: number;
  #next = 0;
  #inFlight = 0;
  #succeeded = 0;
  #failed = false;
  #stopReason: string | undefined;
  #filling = false;
  #ended = false;
  #timer: Subscription | undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(plan: JobPlan, deps: JobRunDeps, emit: (e: JobEvent) => void, complete: () => void) {
    this.#plan = plan;
    this.#deps = deps;
    this.#emit = emit;
    this.#complete = complete;
    this.#slots = plan.batchSize ?? Number.POSITIVE_INFINITY;
    this.#startedAt = deps.now();
  }

  /** Starts the first minions (all of them without batching). */
  start(): void {
    this.#fill();
    this.#endIfComplete();
  }

  /** Handles a frame about this job from one of its minions. */
  onFrame(f: JobFrame): void {
    const s = this.#states.get(f.minionId);
    if (!s || s.phase === 'done') return;
    if (f.kind === 'progress') {
      this.#emit({ type: 'progress', id: f.minionId, stream: f.stream, data: f.data });
      return;
    }
    if (f.attempt !== s.attempt) return;
    if (f.kind === 'return') {
      this.#settle(f.minionId, s, returnedResult(f), true);
    } else if (s.phase === 'awaiting_ack') {
      if (f.state === 'refused') {
        this.#settle(f.minionId, s, nonReturn(f.minionId, 'no_ack', f.code ?? 'refused'), false);
      } else {
        s.phase = 'running';
        this.#runQ.push(this.#now() + this.#plan.jobTimeoutMs + (this.#plan.graceMs ?? 2000), {
          id: f.minionId,
          attempt: s.attempt,
        });
        this.#arm();
      }
    }
  }

  /** A minion (re)connected: re-send the job if it has not acked it yet. */
  onReconnect(id: string): void {
    const s = this.#states.get(id);
    const frame = s?.phase === 'awaiting_ack' ? this.#plan.frameFor(s.attempt, id) : undefined;
    if (frame) this.#deps.send(id, frame);
  }

  /** Cancels every unfinished minion (reason `cancelled`). */
  cancel(): void {
    this.#stop(Reason.cancelled);
  }

  /** Stops the timer; the run emits nothing more. */
  dispose(): void {
    this.#ended = true;
    this.#timer?.unsubscribe();
  }

  #now(): number {
    return this.#deps.scheduler.now();
  }

  #fill(): void {
    if (this.#filling) return;
    this.#filling = true;
    const { minions } = this.#plan;
    while (!this.#ended && this.#inFlight < this.#slots && this.#next < minions.length) {
      const id = minions[this.#next++]!;
      if (this.#stopReason !== undefined || (this.#plan.failhard && this.#failed)) {
        this.#states.set(id, { phase: 'done', attempt: 0, launched: false });
        this.#finish(id, nonReturn(id, 'cancelled', this.#stopReason ?? Reason.failhard), false, 0);
        continue;
      }
      this.#inFlight++;
      this.#launch(id, { phase: 'awaiting_ack', attempt: 0, launched: true });
    }
    this.#filling = false;
  }

  #launch(id: string, s: MinionState): void {
    this.#states.set(id, s);
    // A minion outside the signed audience was offline when the job started (a batch reaches it
    // later): it would refuse the job, so it is offline for this job.
    const frame = this.#deps.isConnected(id) ? this.#plan.frameFor(s.attempt, id) : undefined;
    if (!frame) {
      const reason = this.#deps.isKnown?.(id) === false ? Reason.unknownMinion : Reason.notConnected;
      this.#settle(id, s, nonReturn(id, 'offline', reason), false);
      return;
    }
    s.phase = 'awaiting_ack';
    // A failed send is a drop before the ack: the re-send on reconnect covers it.
    this.#deps.send(id, frame);
    this.#ackQ.push(this.#now() + this.#plan.ackTimeoutMs, { id, attempt: s.attempt });
    this.#arm();
  }

  /** A minion's run ended: retry a failed return, or finish the minion. */
  #settle(id: string, s: MinionState, result: MinionResult, fromMinion: boolean): void {
    const retry = result.outcome === 'returned' && !result.success && s.attempt < (this.#plan.retries ?? 0);
    if (retry && this.#stopReason === undefined) {
      s.phase = 'retry_wait';
      this.#retryQ.push(this.#now() + (this.#plan.retryDelayMs ?? 0), { id, attempt: s.attempt + 1 });
      this.#arm();
      return;
    }
    s.phase = 'done';
    this.#finish(id, result, fromMinion, s.attempt);
    if (s.launched) this.#release();
  }

  #finish(id: string, result: MinionResult, fromMinion: boolean, attempt: number): void {
    this.#results.push(result);
    this.#emit({ type: 'result', result, attempt, fromMinion });
    if (result.success) this.#succeeded++;
    else if (!this.#failed) {
      this.#failed = true;
      // failhard: the minions not started yet never will be.
      if (this.#plan.failhard) this.#fill();
    }
    const first = this.#plan.first;
    if (first !== undefined && this.#succeeded >= first && this.#stopReason === undefined)
      this.#stop(Reason.firstReached);
    this.#endIfComplete();
  }

  /** A launched minion is done: its batch slot frees now, or after `batchWaitMs`. */
  #release(): void {
    const wait = this.#plan.batchWaitMs ?? 0;
    if (wait > 0 && this.#next < this.#plan.minions.length) {
      this.#slotQ.push(this.#now() + wait, null);
      this.#arm();
      return;
    }
    this.#inFlight--;
    this.#fill();
  }

  #stop(reason: string): void {
    if (this.#stopReason !== undefined || this.#ended) return;
    this.#stopReason = reason;
    for (const id of this.#plan.minions) {
      const s = this.#states.get(id);
      if (!s || s.phase === 'done') continue;
      this.#deps.cancel(id, this.#plan.jid);
      s.phase = 'done';
      this.#finish(id, nonReturn(id, 'cancelled', reason), false, s.attempt);
      if (s.launched) this.#inFlight--;
    }
    this.#fill();
  }

  #endIfComplete(): void {
    if (this.#ended || this.#results.length < this.#plan.minions.length) return;
    this.#ended = true;
    this.#timer?.unsubscribe();
    const summary = summarize(this.#plan.jid, this.#plan.fun, this.#results, this.#deps.now() - this.#startedAt);
    this.#emit({ type: 'done', summary });
    this.#complete();
  }

  /** Keeps one scheduler action for the earliest deadline of the four queues. */
  #arm(): void {
    if (this.#ended) return;
    const at = Math.min(this.#ackQ.nextAt, this.#runQ.nextAt, this.#retryQ.nextAt, this.#slotQ.nextAt);
    if (at >= this.#timerAt) return;
    this.#timer?.unsubscribe();
    this.#timerAt = at;
    if (at === Number.POSITIVE_INFINITY) return;
    this.#timer = this.#deps.scheduler.schedule(() => this.#onTimer(), Math.max(0, at - this.#now()));
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.#now();
    for (let due = this.#ackQ.shiftDue(now); due; due = this.#ackQ.shiftDue(now)) {
      const s = this.#states.get(due.id);
      if (s?.phase !== 'awaiting_ack' || s.attempt !== due.attempt) continue;
      const reason = this.#deps.isConnected(due.id) ? Reason.ackTimeout : Reason.disconnectedBeforeAck;
      this.#settle(due.id, s, nonReturn(due.id, 'no_ack', reason), false);
    }
    for (let due = this.#runQ.shiftDue(now); due; due = this.#runQ.shiftDue(now)) {
      const s = this.#states.get(due.id);
      if (s?.phase !== 'running' || s.attempt !== due.attempt) continue;
      const reason = this.#deps.isConnected(due.id) ? Reason.jobTimeoutRunning : Reason.jobTimeoutDisconnected;
      this.#settle(
        due.id,
        s,
        { ...nonReturn(due.id, 'timed_out', reason), durationMs: this.#plan.jobTimeoutMs },
        false,
      );
    }
    for (let due = this.#retryQ.shiftDue(now); due; due = this.#retryQ.shiftDue(now)) {
      const s = this.#states.get(due.id);
      if (s?.phase !== 'retry_wait') continue;
      s.attempt = due.attempt;
      this.#launch(due.id, s);
    }
    while (this.#slotQ.shiftDue(now) !== undefined) {
      this.#inFlight--;
      this.#fill();
    }
    this.#arm();
  }
}

function returnedResult(f: Extract<JobFrame, { kind: 'return' }>): MinionResult {
  if (f.outcome !== 'returned') {
    const reason =
      f.outcome === 'timed_out'
        ? Reason.jobTimeout
        : f.outcome === 'interrupted'
          ? Reason.minionRestarted
          : Reason.cancelled;
    return {
      id: f.minionId,
      outcome: f.outcome,
      success: false,
      reason,
      ret: f.ret,
      retcode: f.retcode,
      durationMs: f.durationMs,
    };
  }
  return {
    id: f.minionId,
    outcome: 'returned',
    success: f.success,
    retcode: f.retcode,
    ret: f.ret,
    durationMs: f.durationMs,
  };
}
