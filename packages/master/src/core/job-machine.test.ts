import { describe, expect, it } from 'vitest';
import { CANCEL, JobMachine, START, TICK, type JobInput, type JobOutput } from './job-machine.js';
import type { JobPlan } from './job-plan.js';
import type { JobFrame } from './minion-link.js';

const JID = '20261125120000000003';
const ack = (id: string, attempt = 0, refused = false): JobInput => ({
  type: 'frame',
  frame: {
    kind: 'ack',
    minionId: id,
    jid: JID,
    attempt,
    state: refused ? 'refused' : 'started',
    ...(refused ? { code: 'ERR_JOB_EXPIRED' } : {}),
  } as JobFrame,
});
const ret = (id: string, success = true, attempt = 0): JobInput => ({
  type: 'frame',
  frame: {
    kind: 'return',
    minionId: id,
    jid: JID,
    attempt,
    outcome: 'returned',
    ret: success,
    retcode: success ? 0 : 1,
    success,
    durationMs: 1,
  },
});

/** One output as a short word: `send:a#0`, `stop:a`, `a=returned`, `done`. */
function word(o: JobOutput): string {
  if (o.type === 'send') return `send:${o.id}#${o.attempt}`;
  if (o.type === 'stop') return `stop:${o.id}`;
  const e = o.event;
  if (e.type === 'done') return 'done';
  if (e.type === 'progress') return `${e.id}~${e.data}`;
  return `${e.result.id}=${e.result.outcome}${e.result.reason ? `(${e.result.reason})` : ''}`;
}

type Row = [at: number, input: JobInput, expected: string];

/** Feeds `rows` to a fresh machine and checks each step's outputs and the deadline after it. */
function play(
  plan: Partial<Omit<JobPlan, 'frameFor'>>,
  rows: Row[],
  connected: Record<string, boolean> = {},
  outside: string[] = [],
) {
  const m = new JobMachine(
    { jid: JID, fun: 'test.ping', minions: ['a'], ackTimeoutMs: 5, jobTimeoutMs: 10, graceMs: 0, ...plan },
    {
      isConnected: (id) => connected[id] ?? true,
      isKnown: (id) => id !== 'ghost',
      inAudience: (id) => !outside.includes(id),
    },
  );
  return rows.map(([at, input, expected]) => {
    expect(m.step(input, at).map(word).join(' '), `at ${at}`).toBe(expected);
    return m.nextAt;
  });
}

describe('JobMachine', () => {
  it('sends at start, arms the ack deadline, then the run deadline, and ends on the return', () => {
    expect(
      play({}, [
        [0, START, 'send:a#0'],
        [2, ack('a'), ''],
        [4, ret('a'), 'a=returned done'],
      ]),
    ).toEqual([
      5,
      5, // the ack deadline stays queued until it falls; a tick then finds nothing to do
      Infinity,
    ]);
  });

  it('reports offline and unknown minions at start without sending', () => {
    play({ minions: ['a', 'ghost'] }, [[0, START, 'a=offline(not_connected) ghost=offline(unknown_minion) done']], {
      a: false,
      ghost: false,
    });
  });

  it('reports a connected minion outside the signed audience as offline, and sends it nothing', () => {
    play({ minions: ['a', 'late'] }, [[0, START, 'send:a#0 late=offline(not_connected)']], {}, ['late']);
  });

  it('turns a missed ack into no_ack only when its deadline is ticked', () => {
    play({}, [
      [0, START, 'send:a#0'],
      [4, TICK, ''],
      [5, TICK, 'a=no_ack(ack_timeout) done'],
    ]);
  });

  it('reports a refused ack as no_ack with the code', () => {
    play({}, [
      [0, START, 'send:a#0'],
      [1, ack('a', 0, true), 'a=no_ack(ERR_JOB_EXPIRED) done'],
    ]);
  });

  it('times out an acked run after job timeout plus grace', () => {
    const next = play({ graceMs: 3 }, [
      [0, START, 'send:a#0'],
      [1, ack('a'), ''],
      [5, TICK, ''],
      [14, TICK, 'a=timed_out(job_timeout_running) done'],
    ]);
    expect(next[2]).toBe(14);
  });

  it('re-sends on reconnect until acked, and not after', () => {
    play({}, [
      [0, START, 'send:a#0'],
      [1, { type: 'reconnect', id: 'a' }, 'send:a#0'],
      [2, ack('a'), ''],
      [3, { type: 'reconnect', id: 'a' }, ''],
    ]);
  });

  it('retries a failed return after the delay and reports the last attempt', () => {
    play({ retries: 1, retryDelayMs: 2 }, [
      [0, START, 'send:a#0'],
      [1, ack('a'), ''],
      [2, ret('a', false), ''],
      [4, TICK, 'send:a#1'],
      [5, ret('a', false), ''], // an old attempt's frame: ignored
      [5, ack('a', 1), ''],
      [6, ret('a', true, 1), 'a=returned done'],
    ]);
  });

  it('runs a batch window and frees a slot batch-wait after a minion ends', () => {
    play({ minions: ['a', 'b', 'c'], batchSize: 2, batchWaitMs: 3 }, [
      [0, START, 'send:a#0 send:b#0'],
      [1, ret('a'), 'a=returned'],
      [3, TICK, ''],
      [4, TICK, 'send:c#0'],
      [5, ret('b'), 'b=returned'],
      [6, ret('c'), 'c=returned done'],
    ]);
  });

  it('cancels the minions not started after a failure with failhard', () => {
    play({ minions: ['a', 'b'], batchSize: 1, failhard: true }, [
      [0, START, 'send:a#0'],
      [1, ret('a', false), 'a=returned b=cancelled(failhard) done'],
    ]);
  });

  it('stops the rest after the first N successes', () => {
    play({ minions: ['a', 'b', 'c'], first: 1 }, [
      [0, START, 'send:a#0 send:b#0 send:c#0'],
      [1, ack('b'), ''],
      [2, ret('a'), 'a=returned stop:b b=cancelled(first_reached) stop:c c=cancelled(first_reached) done'],
    ]);
  });

  it('cancels every unfinished minion at once, and ignores inputs after done', () => {
    play({ minions: ['a', 'b'] }, [
      [0, START, 'send:a#0 send:b#0'],
      [1, ret('a'), 'a=returned'],
      [2, CANCEL, 'stop:b b=cancelled(cancelled) done'],
      [3, ret('b'), ''],
      [4, TICK, ''],
    ]);
  });

  it('emits progress only while the minion runs', () => {
    const progress: JobInput = {
      type: 'frame',
      frame: { kind: 'progress', minionId: 'a', jid: JID, stream: 'stdout', data: 'x' } as JobFrame,
    };
    play({}, [
      [0, START, 'send:a#0'],
      [1, progress, 'a~x'],
      [2, ret('a'), 'a=returned done'],
      [3, progress, ''],
    ]);
  });

  it('ends at start for a job with no minions', () => {
    play({ minions: [] }, [[0, START, 'done']]);
  });

  describe('the overall deadline (deadlineMs)', () => {
    it('arms at start and, when it falls, stops running minions and cancels those not started', () => {
      const next = play(
        { minions: ['a', 'b', 'c'], batchSize: 1, deadlineMs: 7, jobTimeoutMs: 100, ackTimeoutMs: 50 },
        [
          [0, START, 'send:a#0'],
          [1, ack('a'), ''],
          [3, ret('a'), 'a=returned send:b#0'],
          [4, ack('b'), ''],
          [7, TICK, 'stop:b b=cancelled(deadline) c=cancelled(deadline) done'],
        ],
      );
      expect(next.slice(0, 4)).toEqual([7, 7, 7, 7]);
      expect(next[4]).toBe(Infinity);
    });

    it('holds across retries: a failed minion waiting to retry is cancelled at the deadline', () => {
      play({ deadlineMs: 20, retries: 3, retryDelayMs: 15 }, [
        [0, START, 'send:a#0'],
        [1, ack('a'), ''],
        [2, ret('a', false), ''],
        [17, TICK, 'send:a#1'],
        [20, TICK, 'stop:a a=cancelled(deadline) done'],
      ]);
    });

    it('cancels a minion still waiting for its ack', () => {
      play({ minions: ['a', 'b'], deadlineMs: 3, ackTimeoutMs: 5 }, [
        [0, START, 'send:a#0 send:b#0'],
        [1, ret('a'), 'a=returned'],
        [3, TICK, 'stop:b b=cancelled(deadline) done'],
      ]);
    });

    it("lets a minion's own deadline decide when both fall at the same time", () => {
      play({ minions: ['a', 'b'], deadlineMs: 5, ackTimeoutMs: 5 }, [
        [0, START, 'send:a#0 send:b#0'],
        [1, ack('b'), ''],
        [5, TICK, 'a=no_ack(ack_timeout) stop:b b=cancelled(deadline) done'],
      ]);
    });

    it('changes nothing for a job that ends before its deadline', () => {
      expect(
        play({ deadlineMs: 50 }, [
          [0, START, 'send:a#0'],
          [2, ret('a'), 'a=returned done'],
        ]),
      ).toEqual([5, Infinity]);
    });
  });
});
