import { TestScheduler } from 'rxjs/testing';
import { NEVER, type Observable, Subject, map, merge } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ConnectionChange, JobFrame } from './minion-link.js';
import { runJob$, type JobEvent, type JobPlan, type RunJobDeps } from './run-job.js';

const JID = '20261125120000000001';

function makeTs() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/**
 * Fake minions: each send subscribes that minion's script for the attempt in the frame (the
 * fake frame is one byte, the attempt), so a scripted ack at `-a` comes one frame after the
 * send, as from a real minion. `hot` frames arrive regardless of sends.
 */
function fakeDeps(
  ts: TestScheduler,
  opts: {
    scripts?: Record<string, (attempt: number) => Observable<JobFrame>>;
    hot?: Observable<JobFrame>;
    connected?: Record<string, boolean>;
    known?: Record<string, boolean>;
    connections?: Observable<ConnectionChange>;
  },
): RunJobDeps & { sent: string[]; cancels: string[] } {
  const sent: string[] = [];
  const cancels: string[] = [];
  const frames = new Subject<JobFrame>();
  return {
    scheduler: ts,
    sent,
    cancels,
    frames: () => merge(frames, opts.hot ?? NEVER),
    connections$: opts.connections ?? NEVER,
    isConnected: (id) => opts.connected?.[id] ?? true,
    isKnown: (id) => opts.known?.[id] ?? true,
    send: (id, bytes) => {
      sent.push(`${id}@${ts.now()}`);
      opts.scripts?.[id]?.(bytes[0]!).subscribe((f) => frames.next(f));
      return true;
    },
    cancel: (id) => void cancels.push(`${id}@${ts.now()}`),
  };
}

const ack = (id: string, attempt = 0, state: 'started' | 'refused' = 'started'): JobFrame => ({
  kind: 'ack',
  minionId: id,
  jid: JID,
  attempt,
  state,
  ...(state === 'refused' ? { code: 'ERR_JOB_EXPIRED' } : {}),
});
const ret = (id: string, success = true, attempt = 0): JobFrame => ({
  kind: 'return',
  minionId: id,
  jid: JID,
  attempt,
  outcome: 'returned',
  ret: success,
  retcode: success ? 0 : 1,
  success,
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

function label(e: JobEvent): string {
  if (e.type === 'done') return `done:${e.summary.success}:${e.summary.targeted}`;
  if (e.type === 'progress') return `${e.id}:progress:${e.data}`;
  return `${e.result.id}:${e.result.outcome}${e.result.reason ? ':' + e.result.reason : ''}`;
}

/** Runs a job under the test scheduler and records `frame:label` for each event. */
function timeline(ts: TestScheduler, events$: Observable<JobEvent>): string[] {
  const seen: string[] = [];
  events$
    .pipe(map(label))
    .subscribe({ next: (v) => seen.push(`${ts.now()}:${v}`), complete: () => seen.push(`${ts.now()}:|`) });
  return seen;
}

function run(
  deps: ReturnType<typeof fakeDeps>,
  p: JobPlan,
  cancel$: Observable<unknown> = NEVER,
  ts: TestScheduler,
): string[] {
  return timeline(ts, runJob$(p, deps, cancel$));
}

describe('runJob$ for one minion', () => {
  it('reports returned when the ack and the return arrive in time', () => {
    const ts = makeTs();
    ts.run(({ cold, flush }) => {
      const deps = fakeDeps(ts, { scripts: { a: () => cold('-a--r', { a: ack('a'), r: ret('a') }) } });
      const seen = run(deps, plan(['a']), NEVER, ts);
      flush();
      expect(seen).toEqual(['4:a:returned', '4:done:true:1', '4:|']);
    });
  });

  it('reports offline at once for a minion that is not connected, and sends it nothing', () => {
    const ts = makeTs();
    ts.run(({ flush }) => {
      const deps = fakeDeps(ts, { connected: { a: false, b: false }, known: { b: false } });
      const seen = run(deps, plan(['a', 'b']), NEVER, ts);
      flush();
      expect(seen).toEqual(['0:a:offline:not_connected', '0:b:offline:unknown_minion', '0:done:false:2', '0:|']);
      expect(deps.sent).toEqual([]);
    });
  });

  it('reports offline, and sends nothing, for a connected minion outside the signed audience', () => {
    const ts = makeTs();
    ts.run(({ flush, cold }) => {
      const deps = fakeDeps(ts, { scripts: { a: () => cold('-a-r', { a: ack('a'), r: ret('a') }) } });
      // b connected after the job started (a batch reaches it later): the signed audience lacks it.
      const p = plan(['a', 'b'], { frameFor: (attempt, id) => (id === 'a' ? new Uint8Array([attempt]) : undefined) });
      const seen = run(deps, p, NEVER, ts);
      flush();
      expect(seen).toEqual(['0:b:offline:not_connected', '3:a:returned', '3:done:false:2', '3:|']);
      expect(deps.sent).toEqual(['a@0']);
    });
  });

  it('reports no_ack when the minion does not ack within the ack timeout', () => {
    const ts = makeTs();
    ts.run(({ flush }) => {
      const deps = fakeDeps(ts, {});
      const seen = run(deps, plan(['a']), NEVER, ts);
      flush();
      expect(seen).toEqual(['5:a:no_ack:ack_timeout', '5:done:false:1', '5:|']);
    });
  });

  it('reports no_ack with the minion code when the minion refuses the job', () => {
    const ts = makeTs();
    ts.run(({ cold, flush }) => {
      const deps = fakeDeps(ts, { scripts: { a: () => cold('-x', { x: ack('a', 0, 'refused') }) } });
      const seen = run(deps, plan(['a']), NEVER, ts);
      flush();
      expect(seen[0]).toBe('1:a:no_ack:ERR_JOB_EXPIRED');
    });
  });

  it('reports timed_out for a minion that acks but misses its job deadline', () => {
    const ts = makeTs();
    ts.run(({ cold, flush }) => {
      const deps = fakeDeps(ts, { scripts: { a: () => cold('-a', { a: ack('a') }) } });
      const seen = run(deps, plan(['a']), NEVER, ts);
      flush();
      expect(seen[0]).toBe('11:a:timed_out:job_timeout_running');
    });
  });

  it('keeps waiting past the ack timeout while an acked job runs', () => {
    const ts = makeTs();
    ts.run(({ cold, flush }) => {
      const deps = fakeDeps(ts, { scripts: { a: () => cold('-a------r', { a: ack('a'), r: ret('a') }) } });
      const seen = run(deps, plan(['a']), NEVER, ts);
      flush();
      expect(seen[0]).toBe('8:a:returned');
    });
  });

  it('re-sends the job when the minion reconnects before acking', () => {
    const ts = makeTs();
    ts.run(({ hot, flush }) => {
      const frames = hot('-----a-r', { a: ack('a'), r: ret('a') });
      const connections = hot<ConnectionChange>('---c', { c: { id: 'a', connected: true } });
      const deps = fakeDeps(ts, { hot: frames, connections });
      const seen = run(deps, plan(['a'], { ackTimeoutMs: 10 }), NEVER, ts);
      flush();
      expect(seen[0]).toBe('7:a:returned');
      expect(deps.sent).toEqual(['a@0', 'a@3']);
    });
  });

  it('reports no_ack (disconnected_before_ack) for a minion that dropped and did not come back', () => {
    const ts = makeTs();
    ts.run(({ flush }) => {
      let connected = true;
      const deps = fakeDeps(ts, {});
      deps.isConnected = () => connected;
      ts.schedule(() => (connected = false), 2);
      const seen = run(deps, plan(['a']), NEVER, ts);
      flush();
      expect(seen[0]).toBe('5:a:no_ack:disconnected_before_ack');
    });
  });

  it('emits progress before the result and nothing after it', () => {
    const ts = makeTs();
    ts.run(({ cold, flush }) => {
      const p: JobFrame = { kind: 'progress', minionId: 'a', jid: JID, stream: 'stdout', data: 'x' };
      const deps = fakeDeps(ts, { scripts: { a: () => cold('-ap-r-p', { a: ack('a'), p, r: ret('a') }) } });
      const seen = run(deps, plan(['a']), NEVER, ts);
      flush();
      expect(seen).toEqual(['2:a:progress:x', '4:a:returned', '4:done:true:1', '4:|']);
    });
  });
});

describe('runJob$ for many minions', () => {
  it('emits one result per targeted minion and a summary', () => {
    const ts = makeTs();
    ts.run(({ cold, flush }) => {
      const deps = fakeDeps(ts, {
        scripts: {
          a: () => cold('ar', { a: ack('a'), r: ret('a') }),
          b: () => cold('a--r', { a: ack('b'), r: ret('b', false) }),
        },
        connected: { c: false },
      });
      const seen = run(deps, plan(['a', 'b', 'c']), NEVER, ts);
      flush();
      expect(seen).toEqual(['0:c:offline:not_connected', '1:a:returned', '3:b:returned', '3:done:false:3', '3:|']);
    });
  });

  it('runs a sliding window of minions in batch mode', () => {
    const ts = makeTs();
    ts.run(({ cold, flush }) => {
      const f = (id: string) => () => cold('a-r', { a: ack(id), r: ret(id) });
      const deps = fakeDeps(ts, { scripts: { a: f('a'), b: f('b'), c: f('c') } });
      const seen = run(deps, plan(['a', 'b', 'c'], { batchSize: 2 }), NEVER, ts);
      flush();
      expect(seen).toEqual(['2:a:returned', '2:b:returned', '4:c:returned', '4:done:true:3', '4:|']);
      expect(deps.sent).toEqual(['a@0', 'b@0', 'c@2']);
    });
  });

  it('waits batch-wait after a minion finishes before starting the next', () => {
    const ts = makeTs();
    ts.run(({ cold, flush }) => {
      const f = (id: string) => () => cold('a-r', { a: ack(id), r: ret(id) });
      const deps = fakeDeps(ts, { scripts: { a: f('a'), b: f('b') } });
      const seen = run(deps, plan(['a', 'b'], { batchSize: 1, batchWaitMs: 3 }), NEVER, ts);
      flush();
      expect(seen).toEqual(['2:a:returned', '7:b:returned', '7:done:true:2', '7:|']);
      expect(deps.sent).toEqual(['a@0', 'b@5']);
    });
  });

  it('stops the job at its overall deadline, across batches: the running minion stopped, the rest cancelled', () => {
    const ts = makeTs();
    ts.run(({ cold, flush }) => {
      const f = (id: string) => () => cold('a--r', { a: ack(id), r: ret(id) });
      const deps = fakeDeps(ts, { scripts: { a: f('a'), b: f('b'), c: f('c') } });
      const seen = run(deps, plan(['a', 'b', 'c'], { batchSize: 1, deadlineMs: 5, jobTimeoutMs: 100 }), NEVER, ts);
      flush();
      expect(seen).toEqual([
        '3:a:returned',
        '5:b:cancelled:deadline',
        '5:c:cancelled:deadline',
        '5:done:false:3',
        '5:|',
      ]);
      expect(deps.sent).toEqual(['a@0', 'b@3']);
      expect(deps.cancels).toEqual(['b@5']);
    });
  });

  it('starts no new minion after a failure with failhard', () => {
    const ts = makeTs();
    ts.run(({ cold, flush }) => {
      const deps = fakeDeps(ts, { scripts: { a: () => cold('a-r', { a: ack('a'), r: ret('a', false) }) } });
      const seen = run(deps, plan(['a', 'b'], { batchSize: 1, failhard: true }), NEVER, ts);
      flush();
      expect(seen).toEqual(['2:a:returned', '2:b:cancelled:failhard', '2:done:false:2', '2:|']);
      expect(deps.sent).toEqual(['a@0']);
    });
  });

  it('completes after the first N successes and cancels the rest', () => {
    const ts = makeTs();
    ts.run(({ cold, flush }) => {
      const deps = fakeDeps(ts, {
        scripts: {
          a: () => cold('-r', { r: ret('a') }),
          b: () => cold('a', { a: ack('b') }),
          c: () => cold('a', { a: ack('c') }),
        },
      });
      const seen = run(deps, plan(['a', 'b', 'c', 'd'], { first: 1, batchSize: 3 }), NEVER, ts);
      flush();
      expect(seen).toEqual([
        '1:a:returned',
        '1:b:cancelled:first_reached',
        '1:c:cancelled:first_reached',
        '1:d:cancelled:first_reached',
        '1:done:false:4',
        '1:|',
      ]);
      expect(deps.cancels).toEqual(['b@1', 'c@1']);
      expect(deps.sent).toEqual(['a@0', 'b@0', 'c@0']);
    });
  });

  it('cancels every unfinished minion when the job is cancelled', () => {
    const ts = makeTs();
    ts.run(({ cold, hot, flush }) => {
      const deps = fakeDeps(ts, {
        scripts: { a: () => cold('-r', { r: ret('a') }), b: () => cold('a', { a: ack('b') }) },
      });
      const seen = run(deps, plan(['a', 'b']), hot('---x'), ts);
      flush();
      expect(seen).toEqual(['1:a:returned', '3:b:cancelled:cancelled', '3:done:false:2', '3:|']);
      expect(deps.cancels).toEqual(['b@3']);
    });
  });

  it('re-runs a failed function with execution retries, and reports only the last attempt', () => {
    const ts = makeTs();
    ts.run(({ cold, flush }) => {
      const script = (attempt: number) =>
        attempt === 0
          ? cold('-xy', { x: ack('a'), y: ret('a', false) })
          : cold('-xy', { x: ack('a', 1), y: ret('a', true, 1) });
      const deps = fakeDeps(ts, { scripts: { a: script } });
      const seen = run(deps, plan(['a'], { retries: 2, retryDelayMs: 2 }), NEVER, ts);
      flush();
      expect(seen).toEqual(['6:a:returned', '6:done:true:1', '6:|']);
      expect(deps.sent).toEqual(['a@0', 'a@4']);
    });
  });

  it('ignores frames of another attempt and frames after the result', () => {
    const ts = makeTs();
    ts.run(({ cold, flush }) => {
      const deps = fakeDeps(ts, {
        scripts: { a: () => cold('-xarr', { x: ret('a', false, 3), a: ack('a'), r: ret('a') }) },
      });
      const seen = run(deps, plan(['a']), NEVER, ts);
      flush();
      expect(seen).toEqual(['3:a:returned', '3:done:true:1', '3:|']);
    });
  });

  it('handles 10,000 minions in linear time', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `m${i}`);
    const ts = makeTs();
    ts.run(({ flush }) => {
      const frames = new Subject<JobFrame>();
      const deps = fakeDeps(ts, {});
      deps.frames = () => frames;
      const results: string[] = [];
      runJob$(plan(ids, { ackTimeoutMs: 1000, jobTimeoutMs: 1000 }), deps, NEVER).subscribe((e) => {
        if (e.type === 'done') results.push('done');
      });
      const started = performance.now();
      for (const id of ids) frames.next(ack(id));
      for (const id of ids) frames.next(ret(id));
      flush();
      expect(results).toEqual(['done']);
      // Generous: a quadratic implementation takes seconds here, a linear one milliseconds.
      expect(performance.now() - started).toBeLessThan(1000);
    });
  });
});
