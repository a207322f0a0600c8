import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Beacon } from './beacon.js';
import { beaconSet$, type BeaconConfigs, type BeaconSetOptions } from './beacon-set.js';

function makeTs() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Beacons that report their name and `v` option at each poll, and a log of builds and closes. */
function setUp(ts: TestScheduler) {
  const life: string[] = [];
  const failed: string[] = [];
  const told: string[] = [];
  const o: BeaconSetOptions = {
    scheduler: ts,
    maxEventsPerPoll: 10,
    failed: (b) => failed.push(b),
    dropped: () => undefined,
    lifecycle: (name, change) => told.push(`${name} ${change}`),
    make: (name, options): Beacon => {
      if (options['broken']) throw new Error('cannot build');
      life.push(`+${name}@${ts.now()}`);
      return {
        name,
        intervalMs: Number(options['every']),
        poll: () => [[{ tag: '', data: { v: options['v'] } }]],
        close: () => life.push(`-${name}@${ts.now()}`),
      };
    },
  };
  return { o, life, failed, told };
}

const ev = (beacon: string, v: number) => ({ beacon, tag: `beacon/${beacon}`, data: { v } });

describe('beaconSet$', () => {
  it('starts added beacons, stops removed ones and restarts changed ones at each configuration', () => {
    const ts = makeTs();
    ts.run(({ hot, expectObservable, flush }) => {
      const { o, life, told } = setUp(ts);
      const configs: Record<string, BeaconConfigs> = {
        a: { load: { every: 4, v: 1 } },
        b: { load: { every: 4, v: 1 }, disk: { every: 4, v: 2 } },
        c: { disk: { every: 4, v: 3 } },
      };
      // 0: load starts; 6: disk added (load untouched); 10: load removed, disk changed.
      const configs$ = hot('a-----b---c', configs);
      expectObservable(beaconSet$(configs$, o), '^ 14ms !').toBe('l---l-d-l-e---e', {
        l: ev('load', 1),
        d: ev('disk', 2),
        e: ev('disk', 3),
      });
      flush();
      expect(life).toEqual(['+load@0', '+disk@6', '-load@10', '-disk@10', '+disk@10', '-disk@15']);
      expect(told).toEqual([
        'load started',
        'disk started',
        'load stopped',
        'disk stopped',
        'disk started',
        'disk stopped',
      ]);
    });
  });

  it('leaves a beacon whose options did not change alone: its poll grid goes on', () => {
    const ts = makeTs();
    ts.run(({ hot, expectObservable, flush }) => {
      const { o, life } = setUp(ts);
      const same = { load: { every: 5, v: 1 } };
      const configs$ = hot('a--a--a', { a: same });
      expectObservable(beaconSet$(configs$, o), '^ 11ms !').toBe('l----l----l', { l: ev('load', 1) });
      flush();
      expect(life).toEqual(['+load@0', '-load@12']);
    });
  });

  it('reports a beacon that cannot be built and runs the others', () => {
    const ts = makeTs();
    ts.run(({ hot, expectObservable, flush }) => {
      const { o, failed } = setUp(ts);
      const configs$ = hot('a', { a: { bad: { broken: true }, load: { every: 10, v: 1 } } });
      expectObservable(beaconSet$(configs$, o), '^ 5ms !').toBe('l', { l: ev('load', 1) });
      flush();
      expect(failed).toEqual(['bad']);
    });
  });

  it('starts a removed beacon again when a later configuration brings it back', () => {
    const ts = makeTs();
    ts.run(({ hot, expectObservable, expectSubscriptions, flush }) => {
      const { o, life } = setUp(ts);
      const configs$ = hot('a--b--a', { a: { load: { every: 10, v: 1 } }, b: {} });
      expectObservable(beaconSet$(configs$, o), '^ 8ms !').toBe('l-----l', { l: ev('load', 1) });
      expectSubscriptions(configs$.subscriptions).toBe('^ 8ms !');
      flush();
      expect(life).toEqual(['+load@0', '-load@3', '+load@6', '-load@9']);
    });
  });
});
