import { TestScheduler } from 'rxjs/testing';
import { type Observable, map, of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { BusEvent } from '../event-bus.js';
import { loopKey, reactor$, type ReactorPipelineOptions } from './reactor-pipeline.js';

function makeTs() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

const ev = (tag: string): BusEvent => ({ tag, data: {}, stamp: 0 });
const EVENTS = {
  a: ev('brine/minion/a/connected'),
  b: ev('brine/minion/b/connected'),
  x: ev('brine/job/1/new'),
};

function options(ts: TestScheduler, extra: Partial<ReactorPipelineOptions<string>> = {}) {
  const limited: string[] = [];
  const failed: string[] = [];
  const o: ReactorPipelineOptions<string> = {
    tags: ['brine/minion/*/connected'],
    loopLimit: { max: 100, windowMs: 1000 },
    concurrency: 10,
    scheduler: ts,
    react: (e) => of(e.tag.split('/')[2]!),
    limited: (tag) => limited.push(tag),
    failed: (e) => failed.push(e.tag),
    ...extra,
  };
  return { o, limited, failed };
}

describe('reactor$', () => {
  it('reacts to events whose tag matches and ignores the rest', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable }) => {
      const { o } = options(ts);
      expectObservable(reactor$(cold('a-x-b|', EVENTS), o)).toBe('a---b|', { a: 'a', b: 'b' });
    });
  });

  it('throttles per key: the first event of a minion reacts, its repeats within the window do not', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable }) => {
      const pacing = { mode: 'throttle' as const, ms: 5, keyOf: (e: BusEvent) => e.tag };
      const { o } = options(ts, { pacing });
      // a at 0 reacts; a at 2 and 4 are inside its 5 ms window; b is another key; a at 10 reacts again.
      expectObservable(reactor$(cold('a-a-ab----a-|', EVENTS), o)).toBe('a----b----a-|', { a: 'a', b: 'b' });
    });
  });

  it('debounces per key: one reaction once the key has been quiet', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable }) => {
      const pacing = { mode: 'debounce' as const, ms: 3, keyOf: (e: BusEvent) => e.tag };
      const { o } = options(ts, { pacing });
      expectObservable(reactor$(cold('a-a-a------|', EVENTS), o)).toBe('-------a---|', { a: 'a' });
    });
  });

  it('drops events over the loop limit per tag and reports the first drop of each window once', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable, flush }) => {
      const { o, limited } = options(ts, { loopLimit: { max: 2, windowMs: 10 } });
      // Four a's in one window: two react. b has its own count. The window after 10 ms starts afresh.
      expectObservable(reactor$(cold('aaaab-----a|', EVENTS), o)).toBe('aa--b-----a|', { a: 'a', b: 'b' });
      flush();
      expect(limited).toEqual(['brine/minion/a/connected']);
    });
  });

  it('counts job events of every jid against one loop key, so a reaction that feeds itself stops', () => {
    expect(loopKey('brine/job/20261207015318000001/ret/web1')).toBe('brine/job/*/ret/web1');
    expect(loopKey('brine/minion/20261207015318000001/connected')).toBe('brine/minion/*/connected');
    expect(loopKey('brine/minion/web1/connected')).toBe('brine/minion/web1/connected');
    const ts = makeTs();
    ts.run(({ cold, expectObservable }) => {
      const rets = {
        a: ev('brine/job/20261207015318000001/ret/web1'),
        b: ev('brine/job/20261207015318000002/ret/web1'),
        c: ev('brine/job/20261207015318000003/ret/web1'),
      };
      const { o } = options(ts, {
        tags: ['brine/job/*/ret/*'],
        loopLimit: { max: 2, windowMs: 10 },
        react: () => of('job'),
      });
      expectObservable(reactor$(cold('abc|', rets), o)).toBe('jj-|', { j: 'job' });
    });
  });

  it('runs at most `concurrency` reactions at once and queues the rest', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const job = cold('---(r|)', { r: 'done' });
      const { o } = options(ts, { concurrency: 2, react: () => job });
      expectObservable(reactor$(cold('abab|', EVENTS), o)).toBe('---dd-d(d|)', { d: 'done' });
      // Two start at once; the third waits for the first to end at 3, the fourth for the second at 4.
      expectSubscriptions(job.subscriptions).toBe(['^--!', '-^--!', '---^--!', '----^--!']);
    });
  });

  it('reports a failing reaction and goes on with the next event', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable, flush }) => {
      const react = (e: BusEvent): Observable<string> =>
        e === EVENTS.a ? throwError(() => new Error('boom')) : of(e.tag).pipe(map(() => 'ok'));
      const { o, failed } = options(ts, { react });
      expectObservable(reactor$(cold('ab|', EVENTS), o)).toBe('-o|', { o: 'ok' });
      flush();
      expect(failed).toEqual(['brine/minion/a/connected']);
    });
  });

  it('leaves nothing subscribed once the bus completes', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pacing = { mode: 'throttle' as const, ms: 5, keyOf: (e: BusEvent) => e.tag };
      const bus = cold('a-b|', EVENTS);
      const { o } = options(ts, { pacing });
      expectObservable(reactor$(bus, o)).toBe('a-b|', { a: 'a', b: 'b' });
      expectSubscriptions(bus.subscriptions).toBe('^--!');
    });
  });
});
