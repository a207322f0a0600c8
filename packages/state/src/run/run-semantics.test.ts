import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { StateCall, StateCallContext, StateResult, StateReturn } from './registry.js';
import { planFromYaml, ret, scriptedRegistry } from './plan.fixture.js';
import { runStates$, type StateRunOptions } from './run-states.js';

type Script = (call: StateCall, ctx: StateCallContext) => StateReturn | Promise<StateReturn>;

async function run(yaml: string, script: Script, options: StateRunOptions = {}, modWatch?: string[]) {
  const registry = scriptedRegistry(script, modWatch);
  const events = await lastValueFrom(runStates$(planFromYaml(yaml), registry, options).pipe(toArray()));
  const last = events.at(-1)!;
  if (last.type !== 'return') throw new Error('no return');
  const byId: Record<string, StateResult> = {};
  for (const result of Object.values(last.results)) byId[result.__id__] = result;
  return { calls: registry.calls, byId, results: last.results, events };
}

const byName =
  (table: Record<string, StateReturn>, fallback = ret.ok): Script =>
  (call) =>
    table[String(call.args['name'])] ?? fallback;

describe('watch', () => {
  const sls = ['conf: file.managed', 'svc:', '  service.running:', '    - watch: [conf]'].join('\n');

  it('calls mod_watch (with sfun) when the watched state changed and the state itself did not', async () => {
    const { calls, byId } = await run(sls, (call) =>
      call.fun === 'file.managed'
        ? ret.changed
        : call.fun === 'service.mod_watch'
          ? { result: true, comment: 'restarted', changes: { restarted: true } }
          : ret.ok,
    );
    expect(calls.map((c) => `${c.fun}${c.sfun === undefined ? '' : `(${c.sfun})`}`)).toStrictEqual([
      'file.managed',
      'service.running',
      'service.mod_watch(running)',
    ]);
    expect(byId['svc']).toMatchObject({ comment: 'restarted', changes: { restarted: true } });
  });

  it('does not call mod_watch when the state changed itself, or the watched state did not', async () => {
    const changedItself = await run(sls, () => ret.changed);
    expect(changedItself.calls.map((c) => c.fun)).toStrictEqual(['file.managed', 'service.running']);
    const nothing = await run(sls, () => ret.ok);
    expect(nothing.calls.map((c) => c.fun)).toStrictEqual(['file.managed', 'service.running']);
  });

  it('acts as require on a module without mod_watch', async () => {
    const { calls } = await run(sls, () => ret.changed, {}, []);
    expect(calls.map((c) => c.fun)).toStrictEqual(['file.managed', 'service.running']);
  });

  it('passes test mode through, to mod_watch too', async () => {
    const { calls, byId } = await run(
      sls,
      (call, ctx) =>
        call.fun === 'file.managed' && ctx.test
          ? ret.would
          : call.fun === 'service.mod_watch'
            ? { result: null, comment: 'Service is set to be restarted', changes: {} }
            : { result: true, comment: 'running', changes: {} },
      { test: true },
    );
    expect(calls.every((c) => c.test)).toBe(true);
    expect(byId['conf']!.result).toBeNull();
    expect(byId['svc']).toMatchObject({ result: null, comment: 'Service is set to be restarted' });
  });
});

describe('onchanges and onfail', () => {
  it('skips an onchanges state with Salt comment when nothing changed and runs it otherwise', async () => {
    const sls = ['a: test.nop', 'b:', '  cmd.run:', '    - onchanges: [a]'].join('\n');
    const skipped = await run(sls, () => ret.ok);
    expect(skipped.byId['b']).toMatchObject({
      result: true,
      comment: 'State was not run because none of the onchanges reqs changed',
      __state_ran__: false,
    });
    const ran = await run(sls, byName({ a: ret.changed }));
    expect(ran.calls.map((c) => c.name)).toStrictEqual(['a', 'b']);
  });

  it('runs an onfail state only when the watched state failed', async () => {
    const sls = ['a: test.nop', 'rescue:', '  cmd.run:', '    - onfail: [a]'].join('\n');
    expect((await run(sls, () => ret.ok)).byId['rescue']!.comment).toBe(
      'State was not run because onfail req did not change',
    );
    expect((await run(sls, byName({ a: ret.failed }))).byId['rescue']).toMatchObject({ result: true, comment: 'ok' });
  });
});

describe('prereq', () => {
  const sls = [
    'graceful-down:',
    '  cmd.run:',
    '    - name: service apache graceful',
    '    - prereq:',
    '      - file: site-code',
    'site-code:',
    '  file.recurse:',
    '    - name: /srv/www',
  ].join('\n');

  it('test-runs the pre-required state first; if it would change, runs the pre-requiring state and then it', async () => {
    const { calls, byId } = await run(sls, (call, ctx) =>
      call.fun === 'file.recurse' ? (ctx.test ? ret.would : ret.changed) : ret.ok,
    );
    expect(calls.map((c) => `${c.name}${c.test ? ' (test)' : ''}`)).toStrictEqual([
      '/srv/www (test)',
      'service apache graceful',
      '/srv/www',
    ]);
    expect(byId['site-code']!.changes).toStrictEqual({ diff: 'yes' });
  });

  it('does not run the pre-requiring state when the test run predicts no change', async () => {
    const { calls, byId } = await run(sls, () => ret.ok);
    expect(byId['graceful-down']).toMatchObject({ result: true, comment: 'No changes detected', __state_ran__: false });
    expect(calls.map((c) => `${c.name}${c.test ? ' (test)' : ''}`)).toStrictEqual(['/srv/www (test)', '/srv/www']);
  });

  it('fails the pre-required state when the pre-requiring state failed', async () => {
    const { byId } = await run(sls, (call, ctx) =>
      call.fun === 'cmd.run' ? ret.failed : ctx.test ? ret.would : ret.changed,
    );
    expect(byId['site-code']).toMatchObject({
      result: false,
      comment: 'One or more requisite failed: app.graceful-down',
    });
  });
});

describe('failhard, listen and bad functions', () => {
  it('starts nothing after a failhard state failed, and leaves unstarted states out of the return', async () => {
    const sls = ['a: test.ok', 'b:', '  test.bad:', '    - failhard: true', 'c: test.ok'].join('\n');
    const { results, calls } = await run(sls, (call) => (call.fun === 'test.bad' ? ret.failed : ret.ok));
    expect(calls.map((c) => c.name)).toStrictEqual(['a', 'b']);
    expect(Object.keys(results)).toStrictEqual(['test_|-a_|-a_|-ok', 'test_|-b_|-b_|-bad']);
  });

  it('ignores failhard in test mode, as Salt', async () => {
    const { calls } = await run(
      'a:\n  test.bad:\n    - failhard: true\nb: test.ok\n',
      (call) => (call.fun === 'test.bad' ? ret.failed : ret.ok),
      {
        test: true,
      },
    );
    expect(calls.map((c) => c.name)).toStrictEqual(['a', 'b']);
  });

  it('runs a listener mod_watch after every other state, keyed listener_<id>', async () => {
    const sls = [
      'svc:',
      '  service.running:',
      '    - listen:',
      '      - file: conf',
      'conf: file.managed',
      'other: test.ok',
    ].join('\n');
    const { calls, results } = await run(sls, byName({ conf: ret.changed }));
    expect(calls.map((c) => c.fun)).toStrictEqual(['service.running', 'file.managed', 'test.ok', 'service.mod_watch']);
    expect(Object.keys(results).at(-1)).toBe('service_|-listener_svc_|-svc_|-mod_watch');
  });

  it('reports an unknown function and a throwing function as failed results naming file:line', async () => {
    const { byId } = await run('\nx: missing.fun\ny: test.throws\n', (call) => {
      if (call.fun === 'test.throws') throw new Error('boom');
      return ret.ok;
    });
    expect(byId['x']).toMatchObject({
      result: false,
      comment: "State 'missing.fun' was not found in SLS 'app' (app.sls:2)",
    });
    expect(byId['y']).toMatchObject({ result: false, comment: 'An exception occurred in this state: boom' });
  });

  it('passes the declaration arguments without requisites or engine keys', async () => {
    const { calls } = await run(
      'a: test.ok\nb:\n  file.managed:\n    - name: /x\n    - mode: "0644"\n    - require: [a]\n    - order: 3\n',
      () => ret.ok,
    );
    expect(calls).toHaveLength(2);
    const seen: Record<string, unknown>[] = [];
    await run(
      'b:\n  file.managed:\n    - name: /x\n    - mode: "0644"\n    - require_in: [c]\nc: test.ok\n',
      (call) => {
        seen.push(call.args);
        return ret.ok;
      },
    );
    expect(seen[0]).toStrictEqual({ name: '/x', mode: '0644' });
  });
});

describe('long runs', () => {
  it('runs 2000 states whose functions answer synchronously without exhausting the stack', async () => {
    const sls = Array.from({ length: 2000 }, (_, i) => `s${i}: test.ok`).join('\n');
    const { events } = await run(sls, () => ret.ok);
    expect(events).toHaveLength(2001);
  });
});
