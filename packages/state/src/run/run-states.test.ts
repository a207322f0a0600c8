import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { StateReturn } from './registry.js';
import { planFromYaml, ret, scriptedRegistry } from './plan.fixture.js';
import { runStates$, type StateRunEvent } from './run-states.js';

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toStrictEqual(expected));
}

/** Each event as `id:result` (`id:result:comment` when `withComment`), the return as `return`. */
function brief(events$: Observable<StateRunEvent>, withComment = false): Observable<string> {
  return events$.pipe(
    map((e) => {
      if (e.type === 'return') return 'return';
      const r = e.result;
      return `${r.__id__}:${String(r.result)}${withComment ? `:${r.comment}` : ''}`;
    }),
  );
}

describe('runStates$ (marbles)', () => {
  it('runs serial states one after another in definition order and emits each result when known', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const plan = planFromYaml('a: test.succeed\nb: test.succeed\nc: test.succeed\n');
      const registry = scriptedRegistry(() => cold('--r|', { r: ret.ok }));
      expectObservable(brief(runStates$(plan, registry, { scheduler: ts }))).toBe('--a-b-(cr|)', {
        a: 'a:true',
        b: 'b:true',
        c: 'c:true',
        r: 'return',
      });
    });
  });

  it('starts parallel states at once and a state waits only for what it requires', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const plan = planFromYaml(
        [
          'slow: {test.slow: [{parallel: true}]}',
          'fast: {test.fast: [{parallel: true}]}',
          'after:',
          '  test.fast:',
          '    - require: [slow]',
        ].join('\n'),
      );
      const registry = scriptedRegistry((call) =>
        call.fun === 'test.slow' ? cold('-----r|', { r: ret.ok }) : cold('-r|', { r: ret.ok }),
      );
      expectObservable(brief(runStates$(plan, registry, { scheduler: ts }))).toBe('-f---s(ar|)', {
        f: 'fast:true',
        s: 'slow:true',
        a: 'after:true',
        r: 'return',
      });
    });
  });

  it('fails the dependants of a failed state with Salt comment and runs the rest', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const plan = planFromYaml(
        [
          'bad: test.fail',
          'dep:',
          '  test.ok:',
          '    - require: [bad]',
          'depdep:',
          '  test.ok:',
          '    - watch: [dep]',
          'free: test.ok',
        ].join('\n'),
      );
      const registry = scriptedRegistry((call) =>
        call.fun === 'test.fail' ? cold('-r|', { r: ret.failed }) : cold('--------r|', { r: ret.ok }),
      );
      expectObservable(brief(runStates$(plan, registry, { scheduler: ts }), true)).toBe('-(abc)---(fr|)', {
        a: 'bad:false:failed',
        b: 'dep:false:One or more requisite failed: app.bad',
        c: 'depdep:false:One or more requisite failed: app.dep',
        f: 'free:true:ok',
        r: 'return',
      });
      ts.flush();
      expect(registry.calls.map((c) => c.name)).toStrictEqual(['bad', 'free']);
    });
  });

  it('stops the run and the call in flight when unsubscribed', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const plan = planFromYaml('a: test.ok\nb: test.ok\n');
      const first = cold('--r|', { r: ret.ok });
      const second = cold('--------r|', { r: ret.ok });
      const registry = scriptedRegistry((call) => (call.args['name'] === 'a' ? first : second));
      expectObservable(brief(runStates$(plan, registry, { scheduler: ts })), '^----!').toBe('--a', { a: 'a:true' });
      expectSubscriptions(first.subscriptions).toBe('^-!');
      expectSubscriptions(second.subscriptions).toBe('--^--!');
    });
  });

  it('aborts the signal of a promise-based call when unsubscribed', async () => {
    const signals: AbortSignal[] = [];
    const plan = planFromYaml('a: test.ok\n');
    const registry = scriptedRegistry((_call, ctx) => {
      signals.push(ctx.signal);
      return new Promise<StateReturn>(() => undefined);
    });
    const sub = runStates$(plan, registry).subscribe();
    await Promise.resolve();
    expect(signals[0]!.aborted).toBe(false);
    sub.unsubscribe();
    expect(signals[0]!.aborted).toBe(true);
  });

  it('times each state by the scheduler: start_time and duration', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const plan = planFromYaml('a: test.ok\n');
      const registry = scriptedRegistry(() => cold('---r|', { r: ret.changed }));
      const results$ = runStates$(plan, registry, { scheduler: ts }).pipe(
        map((e) =>
          e.type === 'state'
            ? [e.key, e.result.start_time, e.result.duration, e.result.__run_num__]
            : Object.keys(e.results),
        ),
      );
      expectObservable(results$).toBe('---(ab|)', {
        a: ['test_|-a_|-a_|-ok', '00:00:00.000000', 3, 0],
        b: ['test_|-a_|-a_|-ok'],
      });
    });
  });
});
