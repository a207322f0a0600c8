import { TestScheduler } from 'rxjs/testing';
import { NEVER, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ConnectionChange, JobFrame } from './minion-link.js';
import { runJob$, type JobPlan, type RunJobDeps } from './run-job.js';

const JID = '20261125120000000002';

function makeTs() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

const ack = (id: string): JobFrame => ({ kind: 'ack', minionId: id, jid: JID, attempt: 0, state: 'started' });
const ret = (id: string): JobFrame => ({
  kind: 'return',
  minionId: id,
  jid: JID,
  attempt: 0,
  outcome: 'returned',
  ret: true,
  retcode: 0,
  success: true,
  durationMs: 1,
});

function plan(minions: string[], extra: Partial<JobPlan> = {}): JobPlan {
  return {
    jid: JID,
    fun: 'test.ping',
    minions,
    frameFor: (attempt) => new Uint8Array([attempt]),
    ackTimeoutMs: 5,
    jobTimeoutMs: 10,
    graceMs: 0,
    ...extra,
  };
}

function deps(
  ts: TestScheduler,
  frames: Observable<JobFrame>,
  connections$: Observable<ConnectionChange> = NEVER,
): RunJobDeps & { sent: string[] } {
  const sent: string[] = [];
  return {
    scheduler: ts,
    sent,
    frames: () => frames,
    connections$,
    isConnected: () => true,
    send: (id) => (sent.push(`${id}@${ts.now()}`), true),
    cancel: () => {},
  };
}

describe('runJob$ lifetimes', () => {
  it('holds its frames, reconnects and cancel only until done', () => {
    const ts = makeTs();
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const frames = hot<JobFrame>('-a-r-', { a: ack('m'), r: ret('m') });
      const connections = hot<ConnectionChange>('-----');
      const cancel = hot('-----');
      const events$ = runJob$(plan(['m']), deps(ts, frames, connections), cancel);
      expectObservable(events$).toBe('---(rd|)', {
        r: expect.objectContaining({ type: 'result' }),
        d: expect.objectContaining({ type: 'done' }),
      });
      expectSubscriptions(frames.subscriptions).toBe('^--!');
      expectSubscriptions(connections.subscriptions).toBe('^--!');
      expectSubscriptions(cancel.subscriptions).toBe('^--!');
    });
  });

  it('lets go of every input when the subscriber unsubscribes before done', () => {
    const ts = makeTs();
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const frames = hot<JobFrame>('-a------', { a: ack('m') });
      const connections = hot<ConnectionChange>('--------');
      const cancel = hot('--------');
      const events$ = runJob$(plan(['m'], { jobTimeoutMs: 100 }), deps(ts, frames, connections), cancel);
      expectObservable(events$, '^--!').toBe('---');
      expectSubscriptions(frames.subscriptions).toBe('^--!');
      expectSubscriptions(connections.subscriptions).toBe('^--!');
      expectSubscriptions(cancel.subscriptions).toBe('^--!');
    });
  });

  it('ends every input subscription, and its armed deadline, when the overall deadline ends the job', () => {
    const ts = makeTs();
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const frames = hot<JobFrame>('-a------', { a: ack('m') });
      const cancel = hot('--------');
      const events$ = runJob$(plan(['m'], { jobTimeoutMs: 100, deadlineMs: 4 }), deps(ts, frames), cancel);
      expectObservable(events$).toBe('----(rd|)', {
        r: expect.objectContaining({ result: expect.objectContaining({ outcome: 'cancelled', reason: 'deadline' }) }),
        d: expect.objectContaining({ type: 'done' }),
      });
      expectSubscriptions(frames.subscriptions).toBe('^---!');
      expectSubscriptions(cancel.subscriptions).toBe('^---!');
    });
  });

  it('ends every input subscription when a cancel ends the job', () => {
    const ts = makeTs();
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const frames = hot<JobFrame>('-a------', { a: ack('m') });
      const cancel = hot('---c----');
      const events$ = runJob$(plan(['m'], { jobTimeoutMs: 100 }), deps(ts, frames), cancel);
      expectObservable(events$).toBe('---(rd|)', {
        r: expect.objectContaining({ type: 'result', result: expect.objectContaining({ outcome: 'cancelled' }) }),
        d: expect.objectContaining({ type: 'done' }),
      });
      expectSubscriptions(frames.subscriptions).toBe('^--!');
      expectSubscriptions(cancel.subscriptions).toBe('^--!');
    });
  });

  it('arms one deadline at a time and fires it on the scheduler', () => {
    const ts = makeTs();
    ts.run(({ hot, expectObservable }) => {
      // No ack: the ack deadline (5) falls, then the job is done.
      const frames = hot<JobFrame>('--------');
      const d = deps(ts, frames);
      expectObservable(runJob$(plan(['a', 'b']), d, NEVER)).toBe('-----(xyd|)', {
        x: expect.objectContaining({ result: expect.objectContaining({ id: 'a', outcome: 'no_ack' }) }),
        y: expect.objectContaining({ result: expect.objectContaining({ id: 'b', outcome: 'no_ack' }) }),
        d: expect.objectContaining({ type: 'done' }),
      });
    });
  });
});
