import { createTestContext, type TestContext, type TestContextOptions } from '../modules/test-context.js';
import { createStateContext, lookup } from './context.js';
import type { StateContext, StateFunction, StateResult } from './types.js';

/** Options for {@link createStateTestContext}. */
export interface StateTestOptions extends TestContextOptions {
  /** @default false */
  test?: boolean;
  /** Pillar data, looked up by colon-separated keys. @default {} */
  pillar?: Record<string, unknown>;
}

/** A state context for tests over a module test context (fake master file root, temp cache). */
export interface StateTestContext extends TestContext {
  state: StateContext;
}

/**
 * Makes a {@link StateContext} for tests: the module test context's files, cache and logger; a
 * `render` that replaces `{{ name }}` with context values (enough to see that templates are
 * rendered; the real Jinja comes from the engine); pillar from `options.pillar`; `call` through
 * the real execution registry. Call `cleanup()` when done.
 */
export async function createStateTestContext(options: StateTestOptions = {}): Promise<StateTestContext> {
  const t = await createTestContext(options);
  const pillar = options.pillar ?? {};
  const state = createStateContext(t.ctx, {
    test: options.test ?? false,
    pillar,
    render: async (text, context) =>
      text.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_m, key: string) => {
        const value = lookup({ grains: t.ctx.grains.all(), pillar, ...context }, key.replace(/\./g, ':'));
        if (value === undefined) throw new Error(`'${key}' is undefined`);
        return String(value);
      }),
  });
  return { ...t, state };
}

/**
 * Validates `args` with the state's schema and runs it, as the engine will; rejects when the
 * arguments are invalid (the engine reports that as a failed state).
 */
export async function applyState(
  fn: StateFunction,
  args: Record<string, unknown>,
  ctx: StateContext,
  opts: { test?: boolean; watch?: boolean } = {},
): Promise<StateResult> {
  const parsed = fn.args.parse(args);
  const c = opts.test === undefined ? ctx : { ...ctx, test: opts.test };
  return opts.watch && fn.modWatch ? fn.modWatch(parsed, c) : fn.run(parsed, c);
}
