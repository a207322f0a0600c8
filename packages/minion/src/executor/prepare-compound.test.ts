import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry } from '../modules/registry.js';
import { createTestContext, type TestContext } from '../modules/test-context.js';
import { prepareCompound } from './prepare-compound.js';

const registry = createRegistry();
let t: TestContext | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

/** Prepares a job and runs it as the executor does: one call under one context. */
async function run(fun: string, args: unknown[]) {
  const call = prepareCompound(registry, { fun, args, kwargs: {} });
  if (!call?.ok) return call;
  t = await createTestContext();
  return call.fn.run(call.input, t.ctx);
}

describe('prepareCompound', () => {
  it('leaves a job of one function to the usual path', () => {
    expect(prepareCompound(registry, { fun: 'test.echo', args: ['hi'], kwargs: {} })).toBeUndefined();
  });

  it('runs each function in order and returns each result under its name', async () => {
    expect(
      await run('test.echo,cmd.run,test.ping', [['hello'], ['echo "$PWD"', { __kwarg__: true, cwd: '/tmp' }], []]),
    ).toEqual({ ret: { 'test.echo': 'hello', 'cmd.run': '/tmp', 'test.ping': true }, retcode: 0, success: true });
  });

  it('fails with the highest retcode when one function fails, and still runs the others', async () => {
    const out = await run('cmd.run,no.such,test.echo', [['exit 3'], [], ['after']]);
    expect(out).toMatchObject({ success: false, retcode: 254 });
    expect((out as { ret: Record<string, unknown> }).ret).toMatchObject({
      'no.such': { code: 'ERR_FUNCTION_UNKNOWN' },
      'test.echo': 'after',
    });
  });

  it('starts no further function once the job is stopped', async () => {
    const call = prepareCompound(registry, { fun: 'test.sleep,test.echo', args: [[5], ['late']], kwargs: {} });
    t = await createTestContext();
    const running = call!.ok ? call!.fn.run(undefined, t.ctx) : Promise.reject(new Error('not prepared'));
    setTimeout(() => t!.abort(), 50);
    const out = await running;
    expect(out.success).toBe(false);
    expect(Object.keys(out.ret as object)).toEqual(['test.sleep']);
  });

  it('refuses args that are not one list per function with ERR_ARGS_INVALID', () => {
    expect(prepareCompound(registry, { fun: 'test.echo,test.ping', args: ['hello'], kwargs: {} })).toMatchObject({
      ok: false,
      error: { code: 'ERR_ARGS_INVALID' },
    });
  });
});
