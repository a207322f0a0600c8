import { TestScheduler } from 'rxjs/testing';
import { NEVER, type Observable, Subject, filter, map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { JobFrame } from './minion-link.js';
import { runOnMinion$, type MinionRunDeps } from './minion-run.js';
import { runJob$, type JobPlan, type RunJobDeps } from './run-job.js';

const JID = '20261125120000000001';
const BYTES = new Uint8Array([1]);

function makeTs() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Deps whose frames come from marble streams, keyed by minion id. */
function depsFor(
  ts: TestScheduler,
  opts: {
    frames?: Record<string, Observable<JobFrame>>;
    connected?: Record<string, boolean>;
    reconnects?: Record<string, Observable<unknown>>;
  },
): RunJobDeps & { sent: string[]; cancels: string[] } {
  const sent: string[] = [];
  const cancels: string[] = [];
  return {
    scheduler: ts,
    sent,
    cancels,
    frames: (_jid, id) => opts.frames?.[id] ?? NEVER,
    reconnected: (id) => opts.reconnects?.[id] ?? NEVER,
    isConnected: (id) => opts.connected?.[id] ?? true,
    send: (id) => {
      sent.push(`${id}@${ts.now()}`);
      return true;
    },
    cancel: (id) => cancels.push(`${id}@${ts.now()}`),
    now: () => ts.now(),
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

function outcomes(events$: Observable<{ type: string }>) {
  return events$.pipe(
    filter(
      (e): e is { type: 'result'; result: { outcome: string; reason?: string } } & { type: string } =>
        e.type === 'result',
    ),
    map((e) => `${e.result.outcome}${e.result.reason ? ':' + e.result.reason : ''}`),
  );
}

const run = (deps: MinionRunDeps, id = 'a', ackTimeoutMs = 5, jobTimeoutMs = 10) =>
  runOnMinion$({ jid: JID, id, attempt: 0, bytes: BYTES, ackTimeoutMs, jobTimeoutMs, graceMs: 0 }, deps);

describe('runOnMinion$', () => {
  it('reports returned when the ack and the return arrive in time', () => {
    makeTs().run(({ cold, expectObservable }) => {
      const deps = depsFor(makeTs(), {});
      deps.scheduler = (deps as unknown as { scheduler: TestScheduler }).scheduler;
      const frames = cold('-a--r', { a: ack('a'), r: ret('a') });
      const d = { ...deps, frames: () => frames };
      expectObservable(outcomes(run(d))).toBe('----(r|)', { r: 'returned' });
    });
  });

  it('reports offline at once for a minion that is not connected', () => {
    const ts = makeTs();
    ts.run(({ expectObservable }) => {
      const deps = depsFor(ts, { connected: { a: false } });
      expectObservable(outcomes(run(deps))).toBe('(o|)', { o: 'offline:not_connected' });
      expect(deps.sent).toEqual([]);
    });
  });

  it('reports no_ack when the minion does not ack within the ack timeout', () => {
    const ts = makeTs();
    ts.run(({ expectObservable }) => {
      const deps = depsFor(ts, {});
      expectObservable(outcomes(run(deps))).toBe('-----(n|)', { n: 'no_ack:ack_timeout' });
    });
  });

  it('reports no_ack with the minion code when the minion refuses the job', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable }) => {
      const deps = depsFor(ts, { frames: { a: cold('-x', { x: ack('a', 0, 'refused') }) } });
      expectObservable(outcomes(run(deps))).toBe('-(n|)', { n: 'no_ack:ERR_JOB_EXPIRED' });
    });
  });

  it('reports timed_out for a minion that acks but misses its job deadline', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable }) => {
      const deps = depsFor(ts, { frames: { a: cold('-a', { a: ack('a') }) } });
      expectObservable(outcomes(run(deps))).toBe('-' + '-'.repeat(10) + '(t|)', { t: 'timed_out:job_timeout_running' });
    });
  });

  it('keeps waiting past the ack timeout while an acked job runs', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable }) => {
      const deps = depsFor(ts, { frames: { a: cold('-a------r', { a: ack('a'), r: ret('a') }) } });
      expectObservable(outcomes(run(deps))).toBe('--------(r|)', { r: 'returned' });
    });
  });

  it('re-sends the job when the minion reconnects before acking', () => {
    const ts = makeTs();
    ts.run(({ cold, hot, expectObservable, flush }) => {
      const frames = hot('-----a-r', { a: ack('a'), r: ret('a') });
      const deps = depsFor(ts, { frames: { a: frames }, reconnects: { a: cold('---x') } });
      expectObservable(outcomes(run(deps, 'a', 10, 10))).toBe('-------(r|)', { r: 'returned' });
      flush();
      expect(deps.sent).toEqual(['a@0', 'a@3']);
    });
  });

  it('emits progress before the result and nothing after it', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable }) => {
      const p: JobFrame = { kind: 'progress', minionId: 'a', jid: JID, stream: 'stdout', data: 'x' };
      const deps = depsFor(ts, { frames: { a: cold('-ap-r-p', { a: ack('a'), p, r: ret('a') }) } });
      const types = run(deps).pipe(map((e) => e.type));
      expectObservable(types).toBe('--p-(r|)', { p: 'progress', r: 'result' });
    });
  });
});

function plan(minions: string[], extra: Partial<JobPlan> = {}): JobPlan {
  return {
    jid: JID,
    fun: 'test.ping',
    minions,
    frameFor: () => BYTES,
    ackTimeoutMs: 5,
    jobTimeoutMs: 10,
    graceMs: 0,
    ...extra,
  };
}

function resultsOf(events$: Observable<{ type: string }>) {
  return events$.pipe(
    map((e) => {
      const ev = e as {
        type: string;
        result?: { id: string; outcome: string; reason?: string };
        summary?: { success: boolean; targeted: number };
      };
      if (ev.type === 'done') return `done:${ev.summary!.success}:${ev.summary!.targeted}`;
      return `${ev.result!.id}:${ev.result!.outcome}${ev.result!.reason ? ':' + ev.result!.reason : ''}`;
    }),
  );
}

/** Subscribes and records `frame:value` for each emission, for assertions on timing. */
function timeline(ts: TestScheduler, events$: Observable<string>): string[] {
  const seen: string[] = [];
  events$.subscribe({ next: (v) => seen.push(`${ts.now()}:${v}`), complete: () => seen.push(`${ts.now()}:|`) });
  return seen;
}

describe('runJob$', () => {
  it('emits one result per targeted minion and a summary', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable }) => {
      const deps = depsFor(ts, {
        frames: { a: cold('ar', { a: ack('a'), r: ret('a') }), b: cold('a--r', { a: ack('b'), r: ret('b', false) }) },
        connected: { c: false },
      });
      expectObservable(resultsOf(runJob$(plan(['a', 'b', 'c']), deps, NEVER))).toBe('cx-(bd|)', {
        c: 'c:offline:not_connected',
        x: 'a:returned',
        b: 'b:returned',
        d: 'done:false:3',
      });
    });
  });

  it('runs a sliding window of minions in batch mode', () => {
    const ts = makeTs();
    ts.run(({ cold, flush }) => {
      const f = (id: string) => cold('a-r', { a: ack(id), r: ret(id) });
      const deps = depsFor(ts, { frames: { a: f('a'), b: f('b'), c: f('c') } });
      const seen = timeline(ts, resultsOf(runJob$(plan(['a', 'b', 'c'], { batchSize: 2 }), deps, NEVER)));
      flush();
      expect(seen).toEqual(['2:a:returned', '2:b:returned', '4:c:returned', '4:done:true:3', '4:|']);
      expect(deps.sent).toEqual(['a@0', 'b@0', 'c@2']);
    });
  });

  it('waits batch-wait after a minion finishes before starting the next', () => {
    const ts = makeTs();
    ts.run(({ cold, flush }) => {
      const f = (id: string) => cold('a-r', { a: ack(id), r: ret(id) });
      const deps = depsFor(ts, { frames: { a: f('a'), b: f('b') } });
      const seen = timeline(ts, resultsOf(runJob$(plan(['a', 'b'], { batchSize: 1, batchWaitMs: 3 }), deps, NEVER)));
      flush();
      expect(seen).toEqual(['2:a:returned', '7:b:returned', '10:done:true:2', '10:|']);
      expect(deps.sent).toEqual(['a@0', 'b@5']);
    });
  });

  it('starts no new minion after a failure with failhard', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable, flush }) => {
      const deps = depsFor(ts, { frames: { a: cold('a-r', { a: ack('a'), r: ret('a', false) }) } });
      expectObservable(resultsOf(runJob$(plan(['a', 'b'], { batchSize: 1, failhard: true }), deps, NEVER))).toBe(
        '--(abd|)',
        { a: 'a:returned', b: 'b:cancelled:failhard', d: 'done:false:2' },
      );
      flush();
      expect(deps.sent).toEqual(['a@0']);
    });
  });

  it('completes after the first N successes and cancels the rest', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable, flush }) => {
      const deps = depsFor(ts, {
        frames: {
          a: cold('ar', { a: ack('a'), r: ret('a') }),
          b: cold('a', { a: ack('b') }),
          c: cold('a', { a: ack('c') }),
        },
      });
      expectObservable(resultsOf(runJob$(plan(['a', 'b', 'c'], { first: 1 }), deps, NEVER))).toBe('-(abcd|)', {
        a: 'a:returned',
        b: 'b:cancelled:first_reached',
        c: 'c:cancelled:first_reached',
        d: 'done:false:3',
      });
      flush();
      expect(deps.cancels).toEqual(['b@1', 'c@1']);
    });
  });

  it('cancels every unfinished minion when the job is cancelled', () => {
    const ts = makeTs();
    ts.run(({ cold, hot, expectObservable }) => {
      const deps = depsFor(ts, {
        frames: { a: cold('ar', { a: ack('a'), r: ret('a') }), b: cold('a', { a: ack('b') }) },
      });
      const cancel$ = hot('---x');
      expectObservable(resultsOf(runJob$(plan(['a', 'b']), deps, cancel$))).toBe('-a-(bd|)', {
        a: 'a:returned',
        b: 'b:cancelled:cancelled',
        d: 'done:false:2',
      });
    });
  });

  it('re-runs a failed function with execution retries', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable, flush }) => {
      const frames = new Subject<JobFrame>();
      const deps = depsFor(ts, { frames: { a: frames } });
      // Attempt 0 fails at 1, attempt 1 (sent at 3 after a 2 ms delay) succeeds at 4.
      cold('-xy--z', { x: ack('a'), y: ret('a', false), z: ret('a', true, 1) }).subscribe((f) => frames.next(f));
      cold('----a', { a: ack('a', 1) }).subscribe((f) => frames.next(f));
      expectObservable(resultsOf(runJob$(plan(['a'], { retries: 2, retryDelayMs: 2 }), deps, NEVER))).toBe(
        '-----(ad|)',
        {
          a: 'a:returned',
          d: 'done:true:1',
        },
      );
      flush();
      expect(deps.sent).toEqual(['a@0', 'a@4']);
    });
  });
});
