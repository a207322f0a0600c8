import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../modules/test-context.js';
import { createStateContext, lookup } from './context.js';

let t: TestContext;
beforeEach(async () => (t = await createTestContext()));
afterEach(() => t.cleanup());

describe('createStateContext', () => {
  const render = async (text: string) => text;

  it('calls execution functions with the job rules and passes the job context through', async () => {
    const ctx = createStateContext(t.ctx, { test: true, render, pillar: {} });
    expect(ctx.test).toBe(true);
    expect(await ctx.call('test.echo', ['hi'])).toEqual({ ret: 'hi' });
    expect(await ctx.call('grains.get', [], { key: 'id' })).toEqual({ ret: 'test-minion' });
    ctx.emit('stdout', 'x');
    expect(t.emitted).toEqual([{ stream: 'stdout', data: 'x' }]);
  });

  it('rejects an unknown function or a bad argument with the job error codes', async () => {
    const ctx = createStateContext(t.ctx, { test: false, render, pillar: {} });
    await expect(ctx.call('nope.nothing')).rejects.toMatchObject({ code: 'ERR_FUNCTION_UNKNOWN' });
    await expect(ctx.call('test.echo', [], { bogus: 1 })).rejects.toMatchObject({ code: 'ERR_ARGS_INVALID' });
  });

  it('reads pillar by colon-separated keys, never from the prototype', () => {
    const ctx = createStateContext(t.ctx, { test: false, render, pillar: { app: { db: { port: 5432 } } } });
    expect(ctx.pillar('app:db:port')).toBe(5432);
    expect(ctx.pillar('app:nope:port')).toBeUndefined();
    expect(ctx.pillar('constructor')).toBeUndefined();
    expect(lookup({ a: null }, 'a:b')).toBeUndefined();
  });
});
