import type { StateCallContext, StateReturn } from '@brine/state';

/** A step function: the declaration's arguments and the run's context, answering Salt's shape. */
export type StepFunction = (args: Record<string, unknown>, ctx: StateCallContext) => Promise<StateReturn>;

const name = (args: Record<string, unknown>) => String(args['name'] ?? '');

const PRETEND = { testing: { old: 'Unchanged', new: 'Something pretended to change' } };

/** A value Salt reads as `True`, `False` or `'random'`: YAML booleans, or their words. */
function choice(v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (v === 'random') return Math.random() < 0.5;
  if (typeof v === 'string') return !/^(false|no|off|0)$/i.test(v);
  return Boolean(v);
}

/**
 * Salt's `test` states as orchestration steps (`salt/states/test.py`): `nop`,
 * `succeed_without_changes`, `succeed_with_changes`, `fail_without_changes`,
 * `fail_with_changes` and `configurable_test_state`, with Salt's comments and test-mode answers.
 */
export const TEST_STEPS: Readonly<Record<string, StepFunction>> = {
  'test.nop': async (args) => ({ name: name(args), result: true, comment: 'Success!', changes: {} }),
  'test.succeed_without_changes': async (args) => ({
    name: name(args),
    result: true,
    comment: 'Success!',
    changes: {},
  }),
  'test.succeed_with_changes': async (args, ctx) =>
    ctx.test
      ? {
          name: name(args),
          result: null,
          comment: "If we weren't testing, this would be successful with changes",
          changes: PRETEND,
        }
      : { name: name(args), result: true, comment: 'Success!', changes: PRETEND },
  'test.fail_without_changes': async (args, ctx) =>
    ctx.test
      ? { name: name(args), result: null, comment: "If we weren't testing, this would be a failure", changes: {} }
      : { name: name(args), result: false, comment: 'Failure!', changes: {} },
  'test.fail_with_changes': async (args, ctx) =>
    ctx.test
      ? {
          name: name(args),
          result: null,
          comment: "If we weren't testing, this would be failed with changes",
          changes: PRETEND,
        }
      : { name: name(args), result: false, comment: 'Failure!', changes: PRETEND },
  'test.configurable_test_state': async (args, ctx) => {
    const changed = choice(args['changes'], true);
    const comment = typeof args['comment'] === 'string' ? args['comment'] : '';
    const changes = changed ? PRETEND : {};
    if (ctx.test)
      return { name: name(args), result: changed ? null : true, comment: comment || 'This is a test', changes };
    return { name: name(args), result: choice(args['result'], true), comment, changes };
  },
};
