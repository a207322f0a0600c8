import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callsOf, run } from './module.js';
import { testStates } from './test.js';
import { applyState, createStateTestContext, type StateTestContext } from './test-context.js';

let t: StateTestContext;
beforeEach(async () => (t = await createStateTestContext()));
afterEach(() => t.cleanup());

describe('module.run', () => {
  it('runs functions in the current form with positional and keyword arguments', async () => {
    const r = await applyState(
      run,
      { name: 'demo', 'test.echo': ['hi'], 'grains.setval': [{ key: 'role' }, { val: 'web' }] },
      t.state,
    );
    expect(r).toEqual({
      name: 'demo',
      result: true,
      comment: 'Module function test.echo, grains.setval executed',
      changes: { 'test.echo': 'hi', 'grains.setval': { role: 'web' } },
    });
    expect(t.grains.role).toBe('web');
  });

  it('runs the legacy form with name, args and kwargs', async () => {
    expect(callsOf({ name: 'cmd.run', args: ['ls'], m_name: 'x' })).toEqual([
      { fun: 'cmd.run', args: ['ls'], kwargs: { name: 'x' } },
    ]);
    const r = await applyState(run, { name: 'test.echo', args: ['legacy'] }, t.state);
    expect(r).toMatchObject({ result: true, changes: { ret: 'legacy' } });
  });

  it('predicts under test mode without calling', async () => {
    const r = await applyState(run, { name: 'x', 'grains.setval': [{ key: 'k' }, { val: 1 }] }, t.state, {
      test: true,
    });
    expect(r).toMatchObject({ result: null, comment: 'Module function grains.setval is set to be executed' });
    expect(t.grains.k).toBeUndefined();
  });

  it('fails for an unknown function, a bad argument and a non-zero retcode', async () => {
    expect((await applyState(run, { name: 'x', 'nope.nothing': [] }, t.state)).comment).toMatch(
      /'nope.nothing' failed: .*ERR_FUNCTION_UNKNOWN/,
    );
    expect((await applyState(run, { name: 'x', 'test.echo': [{ bogus: 1 }] }, t.state)).result).toBe(false);
    expect(await applyState(run, { name: 'x', 'cmd.run': ['exit 2'] }, t.state)).toMatchObject({
      result: false,
      comment: "'cmd.run' failed: retcode 2",
    });
  });
});

describe('test.*', () => {
  const fn = (name: string) => testStates.find((s) => s.name === `test.${name}`)!;

  it.each([
    ['nop', true, false],
    ['succeed_with_changes', true, true],
    ['succeed_without_changes', true, false],
    ['fail_without_changes', false, false],
    ['fail_with_changes', false, true],
  ] as const)(
    'test.%s returns result %s, changes %s; with changes it is null under test',
    async (name, result, changed) => {
      const real = await applyState(fn(name), { name: 'x' }, t.state);
      expect(real.result).toBe(result);
      expect(Object.keys(real.changes).length > 0).toBe(changed);
      expect((await applyState(fn(name), { name: 'x' }, t.state, { test: true })).result).toBe(changed ? null : result);
    },
  );

  it('configurable_test_state returns what it is told', async () => {
    const args = { name: 'c', changes: false, result: 'False', comment: 'told so' };
    expect(await applyState(fn('configurable_test_state'), args, t.state)).toEqual({
      name: 'c',
      result: false,
      comment: 'told so',
      changes: {},
    });
    const random = await applyState(
      fn('configurable_test_state'),
      { name: 'c', result: 'Random', changes: 'random' },
      t.state,
    );
    expect([true, false]).toContain(random.result);
  });
});
