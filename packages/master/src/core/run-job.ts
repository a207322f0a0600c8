import {
  EMPTY,
  Observable,
  Subject,
  defer,
  filter,
  map,
  merge,
  of,
  switchMap,
  take,
  takeWhile,
  tap,
  timer,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import { CANCEL, JobMachine, START, TICK, type FleetView, type JobInput, type JobOutput } from './job-machine.js';
import type { JobEvent, JobPlan } from './job-plan.js';
import type { ConnectionChange, JobFrame } from './minion-link.js';

export type { JobEvent, JobPlan, MinionEvent } from './job-plan.js';

/** What a job's pipeline reaches outside itself; all of it injected. */
export interface RunJobDeps extends FleetView {
  /** The job's only clock: deadlines are armed on it and every step reads its `now()`. */
  scheduler: SchedulerLike;
  /** Frames about one job from all its minions; returns arrive only once stored durably. */
  frames(jid: string): Observable<JobFrame>;
  /** Every connection change of every minion. */
  connections$: Observable<ConnectionChange>;
  /** Queues the job's frame bytes for a minion; false when it could not be queued. */
  send(id: string, bytes: Uint8Array): boolean;
  /** Tells a minion that may be running the job to stop it. */
  cancel(id: string, jid: string): void;
}

/**
 * Emits a tick each time the latest deadline from `at$` falls, on `scheduler`: one armed action
 * for the job's next deadline, replaced only when a new deadline arrives (Infinity disarms).
 * Completes when `at$` completes and the armed deadline has fallen.
 */
export function deadlineTicks$(at$: Observable<number>, scheduler: SchedulerLike): Observable<JobInput> {
  return at$.pipe(
    switchMap((at) => (at === Number.POSITIVE_INFINITY ? EMPTY : timer(Math.max(0, at - scheduler.now()), scheduler))),
    map(() => TICK),
  );
}

/**
 * `concatMap` for a project that returns an array at once: each input's outputs are emitted in
 * order, and an input that arrives while they are being emitted (a send that makes a minion
 * answer synchronously) waits its turn. Unlike `concatMap` it subscribes to no inner Observable
 * per input: measured on a 10,000-minion job (20,000 frames, in process), that inner
 * subscription per frame made the engine 3.4x slower than the state machine it replaced; this
 * operator brings it to 1.1-1.5x.
 */
export function concatMapArray<T, R>(project: (value: T) => readonly R[]): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const queue: T[] = [];
      let busy = false;
      return source.subscribe({
        next(value) {
          queue.push(value);
          if (busy) return;
          busy = true;
          try {
            while (queue.length > 0)
              for (const out of project(queue.shift()!)) {
                if (subscriber.closed) return;
                subscriber.next(out);
              }
          } finally {
            busy = false;
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

/**
 * Fans a job out to its minions. Emits, for each targeted minion, its progress and exactly one
 * result; then one `done` with the summary; then completes. Never errors.
 *
 * The pipeline: the job's inputs (its frames, reconnects, `cancel$`, due deadlines and the
 * start) are merged and fed one at a time to the job's pure reducer ({@link JobMachine}, which
 * holds every rule: acks, returns, deadlines, retries, batch window, failhard, first, cancel);
 * its outputs are performed (sends and stops through `deps`) and its events flow on until
 * `done`. After `done`, or when the subscriber unsubscribes, nothing of the job stays
 * subscribed: not its frames, reconnects, cancel or armed deadline.
 *
 * The subscriptions per job are constant, whatever its number of minions (an inner
 * subscription per minion cost O(n^2): RxJS removes a child subscription by array search).
 */
export function runJob$(plan: JobPlan, deps: RunJobDeps, cancel$: Observable<unknown>): Observable<JobEvent> {
  return defer(() => {
    const { scheduler } = deps;
    const machine = new JobMachine(plan, {
      isConnected: (id) => deps.isConnected(id),
      ...(deps.isKnown ? { isKnown: (id: string) => deps.isKnown!(id) } : {}),
      inAudience: (id) => plan.frameFor(0, id) !== undefined,
    });
    // The one feedback edge: each step may move the next deadline, which re-arms the tick source.
    const deadline$ = new Subject<number>();
    let armedAt = Number.POSITIVE_INFINITY;
    const perform = (out: JobOutput) => {
      if (out.type !== 'send') {
        if (out.type === 'stop') deps.cancel(out.id, plan.jid);
        return;
      }
      const bytes = plan.frameFor(out.attempt, out.id);
      if (bytes) deps.send(out.id, bytes);
    };
    // Frames are listened to before the start sends anything: a fast minion may answer at once.
    const inputs$ = merge(
      deps.frames(plan.jid).pipe(map((frame): JobInput => ({ type: 'frame', frame }))),
      deps.connections$.pipe(
        filter((c) => c.connected),
        map((c): JobInput => ({ type: 'reconnect', id: c.id })),
      ),
      cancel$.pipe(
        take(1),
        map(() => CANCEL),
      ),
      deadlineTicks$(deadline$, scheduler),
      of(START),
    );
    return inputs$.pipe(
      concatMapArray((input: JobInput) => {
        const outputs = machine.step(input, scheduler.now());
        // A tick re-arms even when the deadline did not move: a timer may fire a little early.
        if (machine.nextAt !== armedAt || input === TICK) deadline$.next((armedAt = machine.nextAt));
        return outputs;
      }),
      tap(perform),
      filter((out): out is Extract<JobOutput, { type: 'event' }> => out.type === 'event'),
      map((out) => out.event),
      takeWhile((e) => e.type !== 'done', true),
    );
  });
}
