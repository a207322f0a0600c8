import { z } from 'zod';
import { stateResult } from './result.js';
import { defineState, type StateFunction } from './types.js';

const nameOnly = z.object({ name: z.string() }).loose();

function fixed(fun: string, doc: string, result: boolean, changed: boolean, comment: string): StateFunction {
  return defineState({
    name: `test.${fun}`,
    doc: `${doc}

SLS Example:

    demo:
      test.${fun}`,
    args: nameOnly,
    run: async ({ name }, ctx) => {
      const changes = changed ? { testing: { old: 'Unchanged', new: 'Something pretended to change' } } : {};
      // Salt: a state that would change reports result None under test, even one that then fails.
      const res = changed && ctx.test ? null : result;
      const testComment = `If we weren't testing, this would be ${result ? 'successful' : 'failed'} with changes`;
      return stateResult(name, { result: res, comment: ctx.test && changed ? testComment : comment, changes });
    },
  });
}

const nop = defineState({
  name: 'test.nop',
  doc: `Does nothing and succeeds with no changes; any arguments are accepted and ignored.

SLS Example:

    placeholder:
      test.nop`,
  args: nameOnly,
  run: async ({ name }) => stateResult(name, { comment: 'Success!' }),
});

const modes = z.union([z.boolean(), z.enum(['Random', 'random', 'True', 'False', 'true', 'false'])]);

const configurable = defineState({
  name: 'test.configurable_test_state',
  doc: `Returns what its arguments say: \`changes\` (true, false or "Random"; default true),
\`result\` (true, false or "Random"; default true), \`comment\`, and \`warnings\`. Under test mode
a state with changes reports result null, as Salt does.

SLS Example:

    fake-change:
      test.configurable_test_state:
        - changes: true
        - result: true
        - comment: pretended`,
  args: z.object({
    name: z.string(),
    changes: modes.default(true),
    result: modes.default(true),
    comment: z.string().default(''),
    warnings: z.union([z.string(), z.array(z.string())]).optional(),
  }),
  run: async (a, ctx) => {
    const changed = pick(a.changes);
    const result = pick(a.result);
    const changes = changed ? { testing: { old: 'Unchanged', new: 'Something pretended to change' } } : {};
    return stateResult(a.name, { result: ctx.test && changed ? null : result, comment: a.comment, changes });
  },
});

/** true/false from a boolean, its string spelling, or "Random" (a coin toss, as in Salt). */
function pick(v: boolean | string): boolean {
  if (typeof v === 'boolean') return v;
  if (/^random$/i.test(v)) return Math.random() < 0.5;
  return /^true$/i.test(v);
}

/** The `test.*` state functions, for trying requisites and outputters without touching the host. */
export const testStates: readonly StateFunction[] = [
  nop,
  fixed('succeed_with_changes', 'Succeeds and reports a pretend change.', true, true, 'Success!'),
  fixed('succeed_without_changes', 'Succeeds with no changes.', true, false, 'Success!'),
  fixed('fail_without_changes', 'Fails with no changes.', false, false, 'Failure!'),
  fixed('fail_with_changes', 'Fails and reports a pretend change.', false, true, 'Failure!'),
  configurable,
];
