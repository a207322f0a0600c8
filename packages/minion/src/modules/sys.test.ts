import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callFunction, createTestContext, type TestContext } from './test-context.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext({ jobs: [{ jid: '20250101000000000042', fun: 'test.sleep', startedAt: 1, pid: 7 }] });
});
afterEach(() => t.cleanup());

describe('sys.*', () => {
  it('lists all functions, or those of the given modules or globs', async () => {
    const all = (await callFunction(t.ctx, 'sys.list_functions')).ret as string[];
    expect(all).toContain('cmd.run');
    expect(all).toEqual([...all].sort());
    expect(await callFunction(t.ctx, 'sys.list_functions', ['test'])).toEqual({
      ret: ['test.arg', 'test.echo', 'test.ping', 'test.sleep', 'test.version'],
    });
    expect(await callFunction(t.ctx, 'sys.list_functions', ['cmd.run*'])).toEqual({ ret: ['cmd.run', 'cmd.run_all'] });
  });

  it('lists modules', async () => {
    expect((await callFunction(t.ctx, 'sys.list_modules')).ret).toContain('saltutil');
  });

  it('returns the doc of one function or of a whole module', async () => {
    const one = (await callFunction(t.ctx, 'sys.doc', ['test.ping'])).ret as Record<string, string>;
    expect(Object.keys(one)).toEqual(['test.ping']);
    expect(one['test.ping']).toContain("brine '*' test.ping");
    const mod = (await callFunction(t.ctx, 'sys.doc', ['cp'])).ret as Record<string, string>;
    expect(Object.keys(mod)).toEqual(['cp.get_dir', 'cp.get_file', 'cp.list_master']);
  });
});

describe('saltutil.*', () => {
  it('lists the running jobs', async () => {
    expect((await callFunction(t.ctx, 'saltutil.running')).ret).toEqual([
      { jid: '20250101000000000042', fun: 'test.sleep', startedAt: 1, pid: 7 },
    ]);
  });

  it('kills a job by jid, answering false for one that is not running', async () => {
    expect(await callFunction(t.ctx, 'saltutil.kill_job', ['20250101000000000042'])).toEqual({ ret: true });
    expect(await callFunction(t.ctx, 'saltutil.kill_job', ['20250101000000000099'])).toEqual({ ret: false });
    expect(t.killed).toEqual(['20250101000000000042', '20250101000000000099']);
    await expect(callFunction(t.ctx, 'saltutil.kill_job', ['../etc'])).rejects.toMatchObject({
      code: 'ERR_ARGS_INVALID',
    });
  });

  it('refreshes grains', async () => {
    expect(await callFunction(t.ctx, 'saltutil.refresh_grains')).toEqual({ ret: true });
    expect(t.refreshes()).toBe(1);
  });
});
