import type { MinionResult } from '@brine/protocol';
import {
  EMPTY,
  type Observable,
  type SchedulerLike,
  defer,
  filter,
  ignoreElements,
  map,
  merge,
  of,
  race,
  share,
  switchMap,
  take,
  takeUntil,
  tap,
  timer,
} from 'rxjs';
import type { JobFrame } from './minion-link.js';
import { Reason, nonReturn } from './results.js';

/** What one minion's run emits: live output while it runs, then exactly one result. */
export type MinionEvent =
  | { type: 'progress'; id: string; stream: 'stdout' | 'stderr'; data: string }
  | { type: 'result'; result: MinionResult; attempt: number; fromMinion: boolean };

/** What a minion run needs from the outside world; all of it injected. */
export interface MinionRunDeps {
  scheduler: SchedulerLike;
  /** Frames about this job from this minion; returns arrive only once stored durably. */
  frames(jid: string, id: string): Observable<JobFrame>;
  /** Emits each time the minion (re)connects and is authenticated. */
  reconnected(id: string): Observable<unknown>;
  isConnected(id: string): boolean;
  /** Whether the master knows the minion at all (an accepted key); unknown ones are `unknown_minion`. */
  isKnown?(id: string): boolean;
  /** Sends the job's frame bytes to the minion; false when it could not be queued. */
  send(id: string, bytes: Uint8Array): boolean;
}

/** The timing of one minion's run. */
export interface MinionRunOptions {
  jid: string;
  id: string;
  attempt: number;
  /** The signed `job.publish` frame for this attempt. */
  bytes: Uint8Array;
  ackTimeoutMs: number;
  jobTimeoutMs: number;
  /** Extra wait after the job timeout for the minion's own timed-out return. @default 2000 */
  graceMs?: number;
}

/**
 * Runs a job on one minion and emits its progress and then exactly one result, then completes.
 *
 * - A minion that is not connected when the run starts is `offline` at once.
 * - Delivery: the job is sent now and re-sent each time the minion reconnects, until it acks.
 *   No ack within `ackTimeoutMs` is `no_ack`; a refused ack is `no_ack` with the minion's code.
 * - After the ack, the minion's heartbeat keeps it alive: it is `timed_out` only when no return
 *   arrives within `jobTimeoutMs + graceMs` of the ack.
 * - A return may arrive at any point (a duplicate delivery answers from the minion's outbox).
 * Never errors: every failure is an outcome.
 */
export function runOnMinion$(options: MinionRunOptions, deps: MinionRunDeps): Observable<MinionEvent> {
  const { jid, id, attempt, bytes, ackTimeoutMs, jobTimeoutMs } = options;
  const graceMs = options.graceMs ?? 2000;
  return defer(() => {
    if (!deps.isConnected(id)) {
      const reason = deps.isKnown?.(id) === false ? Reason.unknownMinion : Reason.notConnected;
      return of(result(nonReturn(id, 'offline', reason), false));
    }
    const frames$ = deps.frames(jid, id).pipe(
      filter((f) => f.kind === 'progress' || f.attempt === attempt),
      share(),
    );
    const returned$ = frames$.pipe(
      filter((f) => f.kind === 'return'),
      take(1),
      map((f) => result(returnedResult(f), true)),
    );
    const acked$ = frames$.pipe(
      filter((f) => f.kind === 'ack'),
      take(1),
    );
    const resend$ = deps.reconnected(id).pipe(
      tap(() => deps.send(id, bytes)),
      ignoreElements(),
    );
    const ackDeadline$ = timer(ackTimeoutMs, deps.scheduler).pipe(
      map(() => nonReturn(id, 'no_ack', deps.isConnected(id) ? Reason.ackTimeout : Reason.disconnectedBeforeAck)),
    );
    const afterAck$ = race(merge(acked$, resend$), ackDeadline$).pipe(
      switchMap((a): Observable<MinionResult> => {
        if (!('kind' in a)) return of(a);
        if (a.state === 'refused') return of(nonReturn(id, 'no_ack', a.code ?? 'refused'));
        return timer(jobTimeoutMs + graceMs, deps.scheduler).pipe(
          map(() => ({
            ...nonReturn(
              id,
              'timed_out',
              deps.isConnected(id) ? Reason.jobTimeoutRunning : Reason.jobTimeoutDisconnected,
            ),
            durationMs: jobTimeoutMs,
          })),
        );
      }),
    );
    const final$ = race(returned$, afterAck$.pipe(map((r) => result(r, false)))).pipe(take(1), share());
    const progress$ = frames$.pipe(
      filter((f) => f.kind === 'progress'),
      map((f): MinionEvent => ({ type: 'progress', id, stream: f.stream, data: f.data })),
      takeUntil(final$),
    );
    const send$ = defer(() => {
      // A failed send is a drop before the ack: the resend on reconnect covers it.
      deps.send(id, bytes);
      return EMPTY;
    });
    return merge(progress$, final$, send$);
  });

  function result(r: MinionResult, fromMinion: boolean): MinionEvent {
    return { type: 'result', result: r, attempt, fromMinion };
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
