import { describe, expect, it } from 'vitest';
import { Metrics } from '../http/shared/metrics.js';
import { masterCalls, REACTOR_CALL_NAMES } from './master-calls.js';

function calls() {
  const published: [string, unknown][] = [];
  const metrics = new Metrics();
  const keys = { accept: () => [], reject: () => [], delete: () => [] };
  const c = masterCalls({ keys, bus: { publish: (t, d) => published.push([t, d]) }, drift: metrics });
  return { c, published, metrics };
}

describe('master calls of reactions', () => {
  it('fires an event, but never under the master’s or a minion’s prefixes', () => {
    const { c, published } = calls();
    c['runner.event.send']!({ tag: 'drift/web1/detected', data: { n: 1 } }, []);
    expect(published).toEqual([['drift/web1/detected', { n: 1 }]]);
    for (const tag of ['brine/job/1/ret/web1', 'brine/minion/web2/x', 'brine/beacon/web2/x', 'a/../b'])
      expect(() => c['runner.event.send']!({ tag }, [])).toThrow(/may not fire/);
  });

  it('sets brine_state_drift per minion on /metrics', () => {
    const { c, metrics } = calls();
    c['runner.metrics.drift']!({ minion: 'web1', changes: 3 }, []);
    c['runner.metrics.drift']!({ minion: 'web2', changes: 0 }, []);
    const text = metrics.render({ connectedMinions: 0, knownMinions: 0, activeJobs: 0 });
    expect(text).toContain(
      '# TYPE brine_state_drift gauge\nbrine_state_drift{minion="web1"} 3\nbrine_state_drift{minion="web2"} 0\n',
    );
    expect(() => c['runner.metrics.drift']!({ minion: 'web1', changes: -1 }, [])).toThrow(/count/);
  });

  it('refuses positional arguments to a call that takes keywords only, rather than dropping them', () => {
    const { c, published } = calls();
    expect(() => c['runner.event.send']!({}, ['drift/web1'])).toThrow(/keyword arguments only/);
    expect(published).toEqual([]);
  });

  it('serves exactly the calls REACTOR_CALL_NAMES lists, which --check-config allows', () => {
    const keys = { accept: () => [], reject: () => [], delete: () => [] };
    const c = masterCalls({
      keys,
      bus: { publish: () => undefined },
      drift: new Metrics(),
      orchestrate: () => undefined,
    });
    expect(Object.keys(c).sort()).toEqual([...REACTOR_CALL_NAMES].sort());
  });
});
