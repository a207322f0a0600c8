import { TestScheduler } from 'rxjs/testing';
import { of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { beacons$, type Beacon, type BeaconsOptions } from './beacon.js';

function makeTs() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

function options(ts: TestScheduler, extra: Partial<BeaconsOptions> = {}) {
  const failed: string[] = [];
  const dropped: [string, number][] = [];
  const o: BeaconsOptions = {
    scheduler: ts,
    maxEventsPerPoll: 2,
    failed: (b) => failed.push(b),
    dropped: (b, n) => dropped.push([b, n]),
    ...extra,
  };
  return { o, failed, dropped };
}

const ev = (tag: string) => ({ tag, data: { tag } });

describe('beacons$', () => {
  it('polls each beacon at its own interval, first at once, and tags what it found', () => {
    const ts = makeTs();
    ts.run(({ expectObservable }) => {
      const load: Beacon = { name: 'load', intervalMs: 10, poll: () => [[ev('')]] };
      const disk: Beacon = { name: 'diskusage', intervalMs: 6, poll: () => [[ev('var')]] };
      const { o } = options(ts);
      const l = { beacon: 'load', tag: 'beacon/load', data: { tag: '' } };
      const d = { beacon: 'diskusage', tag: 'beacon/diskusage/var', data: { tag: 'var' } };
      expectObservable(beacons$([load, disk], o), '^ 12ms !').toBe('(ld)--d---l-d', { l, d });
    });
  });

  it('logs a failing poll and polls again at the next interval', () => {
    const ts = makeTs();
    ts.run(({ expectObservable, flush }) => {
      let n = 0;
      const flaky: Beacon = {
        name: 'service',
        intervalMs: 2,
        poll: () => (n++ === 0 ? throwError(() => new Error('no systemd')) : of([ev('nginx')])),
      };
      const { o, failed } = options(ts);
      const s = { beacon: 'service', tag: 'beacon/service/nginx', data: { tag: 'nginx' } };
      expectObservable(beacons$([flaky], o), '^ 4ms !').toBe('--s-s', { s });
      flush();
      expect(failed).toEqual(['service']);
    });
  });

  it('sends at most maxEventsPerPoll events of one poll and reports the rest as dropped', () => {
    const ts = makeTs();
    ts.run(({ expectObservable, flush }) => {
      const noisy: Beacon = { name: 'inotify', intervalMs: 10, poll: () => [[ev('a'), ev('b'), ev('c'), ev('d')]] };
      const { o, dropped } = options(ts);
      const a = { beacon: 'inotify', tag: 'beacon/inotify/a', data: { tag: 'a' } };
      const b = { beacon: 'inotify', tag: 'beacon/inotify/b', data: { tag: 'b' } };
      expectObservable(beacons$([noisy], o), '^ 5ms !').toBe('(ab)', { a, b });
      flush();
      expect(dropped).toEqual([['inotify', 2]]);
    });
  });

  it('does not start a poll while the last one still runs', () => {
    const ts = makeTs();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold('-----(x|)', { x: [ev('')] });
      const b: Beacon = { name: 'status', intervalMs: 2, poll: () => slow };
      const { o } = options(ts);
      const x = { beacon: 'status', tag: 'beacon/status', data: { tag: '' } };
      expectObservable(beacons$([b], o), '^ 12ms !').toBe('-----x-----x', { x });
      // Polls due at 2 and 4 are skipped while the first runs; the next starts at 6, then 12.
      expectSubscriptions(slow.subscriptions).toBe(['^----!', '------^----!', '------------^!']);
    });
  });
});
