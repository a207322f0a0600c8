import type { JobStreamEvent, MinionResult } from '@brine/protocol';
import { NEVER, type Observable, first, lastValueFrom, take, takeUntil, throwError, timeout, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { ApiResponseError, StreamLostError } from './errors.js';
import { results } from './job-events.js';
import type { SseMessage, Transport } from './transport.js';

const JID = '20261207000000000001';
const ok = (id: string): MinionResult => ({ id, outcome: 'returned', success: true, retcode: 0, ret: true });
const summary = {
  jid: JID,
  fun: 'test.ping',
  targeted: 2,
  returned: 2,
  succeeded: 2,
  failed: 0,
  didNotReturn: 0,
  success: true,
  durationMs: 5,
};
const ev = {
  s: { type: 'job.started', jid: JID, fun: 'test.ping', minions: ['a', 'b'] },
  a: { type: 'minion.result', jid: JID, result: ok('a') },
  b: { type: 'minion.result', jid: JID, result: ok('b') },
  d: { type: 'job.done', jid: JID, summary },
} satisfies Record<string, JobStreamEvent>;

/** A transport whose answers are scripted Observables, and which records every call. */
function scripted(answers: {
  ndjson?: Observable<unknown>;
  json?: Record<string, Observable<unknown>>;
  sse?: Observable<SseMessage>;
}): Transport & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    ndjson$: (method, path) => {
      calls.push(`${method} ${path}`);
      return answers.ndjson ?? NEVER;
    },
    json$: (method, path) => {
      calls.push(`${method} ${path}`);
      return answers.json?.[`${method} ${path}`] ?? throwError(() => new Error(`unscripted ${method} ${path}`));
    },
    sse$: (path) => {
      calls.push(`SSE ${path}`);
      return answers.sse ?? NEVER;
    },
  };
}

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const DELETE = `DELETE /api/v1/jobs/${JID}`;

describe('client.run$', () => {
  it('emits the job stream to its done, completes, and cancels nothing', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const stream = cold('-s-a-b-d|', ev);
      const t = scripted({ ndjson: stream });
      expectObservable(createClient(t).run$({ target: '*', fun: 'test.ping' })).toBe('-s-a-b-(d|)', ev);
      expectSubscriptions(stream.subscriptions).toBe('^------!');
      t.calls.length = 0;
    });
  });

  it('cancels the job for the other minions when take(1) has the first result', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const stream = cold('-s-a-b-d|', ev);
      const del = cold('--x|', { x: { jid: JID, cancelled: true } });
      const t = scripted({ ndjson: stream, json: { [DELETE]: del } });
      expectObservable(createClient(t).run$({ target: '*', fun: 'test.ping' }).pipe(results(), take(1))).toBe(
        '---(a|)',
        { a: ok('a') },
      );
      expectSubscriptions(stream.subscriptions).toBe('^--!');
      // The cancel is sent as the stream is dropped, and runs to its answer on its own.
      expectSubscriptions(del.subscriptions).toBe('---^--!');
      flush();
      expect(t.calls).toEqual(['POST /api/v1/jobs?stream=ndjson', DELETE]);
    });
  });

  it('cancels the job when takeUntil fires and when timeout() expires', () => {
    testScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const stream = cold('-s-a------b-d|', ev);
      const del = cold('x|', { x: {} });
      const client = createClient(scripted({ ndjson: stream, json: { [DELETE]: del } }));
      const stop = hot('-----x');
      expectObservable(client.run$({ target: '*', fun: 'test.ping' }).pipe(takeUntil(stop))).toBe('-s-a-|', ev);
      expectObservable(client.run$({ target: '*', fun: 'test.ping' }).pipe(timeout(4))).toBe(
        '-s-a---#',
        ev,
        expect.objectContaining({ name: 'TimeoutError' }),
      );
      expectSubscriptions(stream.subscriptions).toBe(['^----!', '^------!']);
      expectSubscriptions(del.subscriptions).toBe(['-----^!', '-------^!']);
    });
  });

  it('sends no cancel when unsubscribed before the master named the job', () => {
    testScheduler().run(({ cold, expectObservable, flush }) => {
      const t = scripted({ ndjson: cold('----s-a-b-d|', ev) });
      expectObservable(createClient(t).run$({ target: '*', fun: 'test.ping' }), '--!').toBe('');
      flush();
      expect(t.calls).toEqual(['POST /api/v1/jobs?stream=ndjson']);
    });
  });

  it('errors with ERR_CLIENT_STREAM_LOST naming the jid when the connection breaks, and cancels nothing', () => {
    testScheduler().run(({ cold, expectObservable, flush }) => {
      const lost = new StreamLostError(undefined, new TypeError('terminated'));
      const t = scripted({ ndjson: cold('-s-a-#', ev, lost) });
      expectObservable(createClient(t).run$({ target: '*', fun: 'test.ping' })).toBe(
        '-s-a-#',
        ev,
        expect.objectContaining({ code: 'ERR_CLIENT_STREAM_LOST', jid: JID }),
      );
      flush();
      expect(t.calls).not.toContain(DELETE);
    });
  });

  it('errors with ERR_CLIENT_STREAM_LOST when the answer ends before job.done', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const t = scripted({ ndjson: cold('-s-a|', ev) });
      expectObservable(createClient(t).run$({ target: '*', fun: 'test.ping' })).toBe(
        '-s-a#',
        ev,
        expect.objectContaining({ code: 'ERR_CLIENT_STREAM_LOST', jid: JID }),
      );
    });
  });

  it("passes the master's refusal on with its code", () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const refused = new ApiResponseError(400, { code: 'ERR_NO_MINIONS_MATCHED', message: 'No minions matched' });
      const t = scripted({ ndjson: cold('--#', {}, refused) });
      expectObservable(createClient(t).run$({ target: 'nope*', fun: 'test.ping' })).toBe(
        '--#',
        {},
        expect.objectContaining({ code: 'ERR_NO_MINIONS_MATCHED', status: 400 }),
      );
    });
  });

  it('stops at first() and cancels the rest', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const del = cold('x|', { x: {} });
      const t = scripted({ ndjson: cold('-s--a-b-d|', ev), json: { [DELETE]: del } });
      expectObservable(
        createClient(t)
          .run$({ target: '*', fun: 'test.ping' })
          .pipe(first((e) => e.type === 'minion.result')),
      ).toBe('----(a|)', ev);
      expectSubscriptions(del.subscriptions).toBe('----^!');
    });
  });
});

describe('client.run', () => {
  it("resolves with the summary and every minion's result", async () => {
    const { of } = await import('rxjs');
    const client = createClient(scripted({ ndjson: of(ev.s, ev.a, ev.b, ev.d) }));
    await expect(client.run({ target: '*', fun: 'test.ping' })).resolves.toEqual({
      jid: JID,
      summary,
      results: { a: ok('a'), b: ok('b') },
    });
  });
});

describe('client.job$', () => {
  it('follows a running job to its done', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const sse = cold('-a-b-d-', { a: { data: ev.a }, b: { data: ev.b }, d: { data: ev.d } });
      expectObservable(createClient(scripted({ sse })).job$(JID)).toBe('-a-b-(d|)', ev);
    });
  });

  it('reads a finished job from the job cache when it is no longer active', async () => {
    const notActive = new ApiResponseError(404, { code: 'ERR_NOT_FOUND', message: 'no active job' });
    const stored = {
      job: { jid: JID, fun: 'test.ping', minions: ['a', 'b'], startedAt: 1, endedAt: 6, summary },
      minions: [
        { ...ok('a'), reason: null },
        { id: 'b', outcome: null },
      ],
    };
    const { of } = await import('rxjs');
    const t = scripted({
      sse: throwError(() => notActive),
      json: { [`GET /api/v1/jobs/${JID}`]: of(stored) },
    });
    const all = await lastValueFrom(
      createClient(t)
        .job$(JID)
        .pipe((s) => s.pipe(toArray())),
    );
    expect(all).toEqual([ev.s, ev.a, ev.d]);
  });

  it('errors with other codes as they are', async () => {
    const t = scripted({
      sse: throwError(() => new ApiResponseError(403, { code: 'ERR_AUTH_FORBIDDEN', message: 'no' })),
    });
    await expect(lastValueFrom(createClient(t).job$(JID))).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
  });
});

describe('client.preview and events$', () => {
  it('previews a target without running anything', async () => {
    const { of } = await import('rxjs');
    const t = scripted({ json: { 'POST /api/v1/jobs?preview=true': of({ minions: ['a', 'b'] }) } });
    await expect(createClient(t).preview('*')).resolves.toEqual(['a', 'b']);
  });

  it('asks for the tag globs and emits each bus event', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const e = { tag: 'brine/job/1/new', data: {}, stamp: 1 };
      const t = scripted({ sse: cold('-x-', { x: { data: e } }) });
      expectObservable(createClient(t).events$(['brine/job/*', 'brine/minion/*'])).toBe('-x-', { x: e });
      expect(t.calls).toEqual([`SSE /api/v1/events?tags=${encodeURIComponent('brine/job/*,brine/minion/*')}`]);
    });
  });
});
