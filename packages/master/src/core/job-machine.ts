import type { MinionResult } from '@brine/protocol';
import { DeadlineQueue } from './deadline-queue.js';
import type { JobEvent, JobPlan } from './job-plan.js';
import type { JobFrame } from './minion-link.js';
import { Reason, nonReturn } from './results.js';
import { summarize } from './summary.js';

/** What drives a job: its start, a frame from one of its minions, a reconnect, a cancel, a due deadline. */
export type JobInput =
  | { type: 'start' }
  | { type: 'frame'; frame: JobFrame }
  | { type: 'reconnect'; id: string }
  | { type: 'cancel' }
  | { type: 'tick' };

/** What a step asks the world to do: send the job (an attempt) to a minion, tell one to stop, emit. */
export type JobOutput =
  { type: 'send'; id: string; attempt: number } | { type: 'stop'; id: string } | { type: 'event'; event: JobEvent };

/** What the machine may ask about the fleet and the job: read-only questions, answered now. */
export interface FleetView {
  isConnected(id: string): boolean;
  /**
   * Whether the job's signed audience names the minion (issue #13, finding 5): one outside it
   * (offline when the job started, reached later by a batch) would refuse the job. @default true
   */
  inAudience?(id: string): boolean;
  /** Whether the master knows the minion at all; unknown ones are `unknown_minion`. */
  isKnown?(id: string): boolean;
}

type Phase = 'awaiting_ack' | 'running' | 'retry_wait' | 'done';
interface MinionState {
  phase: Phase;
  attempt: number;
  /** Holds a batch slot (it was launched, not cancelled before starting). */
  launched: boolean;
}
type Due = { id: string; attempt: number };

const NOTHING: JobOutput[] = [];

/** Inputs carried by one pre-made object each, so a step allocates nothing for them. */
export const START: JobInput = { type: 'start' };
export const TICK: JobInput = { type: 'tick' };
export const CANCEL: JobInput = { type: 'cancel' };

/**
 * One job's rules as a reducer: `step(input, now)` returns what to do, `nextAt` says when the
 * next deadline falls, `done` says the job has ended. No scheduler, no callbacks, one clock
 * (the `now` of each step): tested with tables of inputs and times.
 *
 * The state is a map of per-minion states and four deadline queues (acks, runs, retries, batch
 * slots), so a step costs O(1) per minion it touches, whatever the job's size. The rules, per
 * minion: offline at its start (or outside the signed audience) is `offline`; otherwise the job is sent, and sent again on each
 * reconnect until acked; no ack within `ackTimeoutMs` of the send is `no_ack`; a refused ack is
 * `no_ack` with the minion's code; after the ack, no return within `jobTimeoutMs + graceMs` is
 * `timed_out`; a return may come at any point. A failed return is re-run up to `retries` times.
 * Batches are a sliding window of `batchSize` slots, each freed `batchWaitMs` after its minion
 * ends; `failhard` starts no minion after a failure; `first` ends the job after that many
 * successes; a cancel ends it at once, and so does the job's `deadlineMs` (reason `deadline`:
 * minions not started are cancelled, running ones stopped). Each minion gets exactly one
 * result, then `done`.
 */
export class JobMachine {
  readonly #plan: Omit<JobPlan, 'frameFor'>;
  readonly #fleet: FleetView;
  readonly #states = new Map<string, MinionState>();
  readonly #ackQ = new DeadlineQueue<Due>();
  readonly #runQ = new DeadlineQueue<Due>();
  readonly #retryQ = new DeadlineQueue<Due>();
  readonly #slotQ = new DeadlineQueue<null>();
  /**
   * A fifth deadline queue, the job's own: its one overall deadline (`deadlineMs` from its
   * start), across batches and retries.
   */
  readonly #jobQ = new DeadlineQueue<null>();
  readonly #slots: number;
  readonly #results: MinionResult[] = [];
  #startedAt: number | undefined;
  #next = 0;
  #inFlight = 0;
  #succeeded = 0;
  #failed = false;
  #stopReason: string | undefined;
  #done = false;
  #now = 0;
  #out: JobOutput[] = NOTHING;
  /** Set while `#fill` runs: an offline minion's release must not recurse into a second fill. */
  #filling = false;

  constructor(plan: Omit<JobPlan, 'frameFor'>, fleet: FleetView) {
    this.#plan = plan;
    this.#fleet = fleet;
    this.#slots = plan.batchSize ?? Number.POSITIVE_INFINITY;
  }

  /** The job has emitted `done`; further inputs do nothing. */
  get done(): boolean {
    return this.#done;
  }

  /** When the earliest deadline falls (Infinity when none, or when the job is done). */
  get nextAt(): number {
    if (this.#done) return Number.POSITIVE_INFINITY;
    return Math.min(this.#ackQ.nextAt, this.#runQ.nextAt, this.#retryQ.nextAt, this.#slotQ.nextAt, this.#jobQ.nextAt);
  }

  /** Applies one input at time `now` and returns what to do, in order. */
  step(input: JobInput, now: number): JobOutput[] {
    if (this.#done) return NOTHING;
    this.#now = now;
    this.#out = NOTHING;
    switch (input.type) {
      case 'start':
        if (this.#startedAt !== undefined) break;
        this.#startedAt = now;
        if (this.#plan.deadlineMs !== undefined) this.#jobQ.push(now + this.#plan.deadlineMs, null);
        this.#fill();
        break;
      case 'frame':
        this.#onFrame(input.frame);
        break;
      case 'reconnect': {
        const s = this.#states.get(input.id);
        if (s?.phase === 'awaiting_ack') this.#push({ type: 'send', id: input.id, attempt: s.attempt });
        break;
      }
      case 'cancel':
        this.#stop(Reason.cancelled);
        break;
      case 'tick':
        this.#onDue();
        break;
    }
    this.#endIfComplete();
    return this.#out;
  }

  #onFrame(f: JobFrame): void {
    const s = this.#states.get(f.minionId);
    if (!s || s.phase === 'done') return;
    if (f.kind === 'progress') {
      this.#emit({ type: 'progress', id: f.minionId, stream: f.stream, data: f.data });
      return;
    }
    if (f.attempt !== s.attempt) return;
    if (f.kind === 'return') this.#settle(f.minionId, s, returnedResult(f), true);
    else if (s.phase !== 'awaiting_ack') return;
    else if (f.state === 'refused')
      this.#settle(f.minionId, s, nonReturn(f.minionId, 'no_ack', f.code ?? 'refused'), false);
    else {
      s.phase = 'running';
      const at = this.#now + this.#plan.jobTimeoutMs + (this.#plan.graceMs ?? 2000);
      this.#runQ.push(at, { id: f.minionId, attempt: s.attempt });
    }
  }

  /** Most steps (an ack) output nothing: the array is made on the first output of a step. */
  #push(out: JobOutput): void {
    if (this.#out === NOTHING) this.#out = [];
    this.#out.push(out);
  }

  #emit(event: JobEvent): void {
    this.#push({ type: 'event', event });
  }

  #fill(): void {
    if (this.#filling) return;
    this.#filling = true;
    const { minions } = this.#plan;
    while (this.#inFlight < this.#slots && this.#next < minions.length) {
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
    if (!this.#fleet.isConnected(id) || this.#fleet.inAudience?.(id) === false) {
      const reason = this.#fleet.isKnown?.(id) === false ? Reason.unknownMinion : Reason.notConnected;
      this.#settle(id, s, nonReturn(id, 'offline', reason), false);
      return;
    }
    s.phase = 'awaiting_ack';
    // A failed send is a drop before the ack: the re-send on reconnect covers it.
    this.#push({ type: 'send', id, attempt: s.attempt });
    this.#ackQ.push(this.#now + this.#plan.ackTimeoutMs, { id, attempt: s.attempt });
  }

  /** A minion's run ended: retry a failed return, or finish the minion. */
  #settle(id: string, s: MinionState, result: MinionResult, fromMinion: boolean): void {
    const retry = result.outcome === 'returned' && !result.success && s.attempt < (this.#plan.retries ?? 0);
    if (retry && this.#stopReason === undefined) {
      s.phase = 'retry_wait';
      this.#retryQ.push(this.#now + (this.#plan.retryDelayMs ?? 0), { id, attempt: s.attempt + 1 });
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
  }

  /** A launched minion is done: its batch slot frees now, or after `batchWaitMs`. */
  #release(): void {
    const wait = this.#plan.batchWaitMs ?? 0;
    if (wait > 0 && this.#next < this.#plan.minions.length) {
      this.#slotQ.push(this.#now + wait, null);
      return;
    }
    this.#inFlight--;
    this.#fill();
  }

  #stop(reason: string): void {
    if (this.#stopReason !== undefined) return;
    this.#stopReason = reason;
    for (const id of this.#plan.minions) {
      const s = this.#states.get(id);
      if (!s || s.phase === 'done') continue;
      this.#push({ type: 'stop', id });
      s.phase = 'done';
      this.#finish(id, nonReturn(id, 'cancelled', reason), false, s.attempt);
      if (s.launched) this.#inFlight--;
    }
    this.#fill();
  }

  #endIfComplete(): void {
    if (this.#done || this.#results.length < this.#plan.minions.length || this.#startedAt === undefined) return;
    this.#done = true;
    const summary = summarize(this.#plan.jid, this.#plan.fun, this.#results, this.#now - this.#startedAt);
    this.#emit({ type: 'done', summary });
  }

  /**
   * Every deadline due at `now`, oldest kind first: acks, runs, retries, batch slots, then the
   * job's own (a minion whose own deadline fell at the same time keeps its own outcome).
   */
  #onDue(): void {
    const now = this.#now;
    for (let due = this.#ackQ.shiftDue(now); due; due = this.#ackQ.shiftDue(now)) {
      const s = this.#states.get(due.id);
      if (s?.phase !== 'awaiting_ack' || s.attempt !== due.attempt) continue;
      const reason = this.#fleet.isConnected(due.id) ? Reason.ackTimeout : Reason.disconnectedBeforeAck;
      this.#settle(due.id, s, nonReturn(due.id, 'no_ack', reason), false);
    }
    for (let due = this.#runQ.shiftDue(now); due; due = this.#runQ.shiftDue(now)) {
      const s = this.#states.get(due.id);
      if (s?.phase !== 'running' || s.attempt !== due.attempt) continue;
      const reason = this.#fleet.isConnected(due.id) ? Reason.jobTimeoutRunning : Reason.jobTimeoutDisconnected;
      const result = { ...nonReturn(due.id, 'timed_out', reason), durationMs: this.#plan.jobTimeoutMs };
      this.#settle(due.id, s, result, false);
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
    if (this.#jobQ.shiftDue(now) !== undefined) this.#stop(Reason.deadline);
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
