import { afterEach, describe, expect, it } from 'vitest';
import { MinionError } from '../errors.js';
import { callFunction, createTestContext, type TestContext } from './test-context.js';

const PILLAR = {
  role: 'web',
  pkg: { apache: 'httpd', list: ['a', { name: 'b' }] },
  users: { alice: { uid: 1000 } },
  ports: [80],
};

let t: TestContext | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

async function call(fun: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}): Promise<unknown> {
  t ??= await createTestContext({ pillar: structuredClone(PILLAR) });
  return (await callFunction(t.ctx, fun, args, kwargs)).ret;
}

describe('pillar functions', () => {
  it('gets nested keys, list items by index and by embedded key, and defaults', async () => {
    expect(await call('pillar.get', ['pkg:apache'])).toBe('httpd');
    expect(await call('pillar.get', ['pkg:list:0'])).toBe('a');
    expect(await call('pillar.get', ['pkg:list:name'])).toBe('b');
    expect(await call('pillar.get', ['nope:x'])).toBe('');
    expect(await call('pillar.get', ['nope'], { default: 42 })).toBe(42);
    expect(await call('pillar.get', ['pkg/apache'], { delimiter: '/' })).toBe('httpd');
  });

  it('merges the value over a mapping or list default with merge=True', async () => {
    expect(await call('pillar.get', ['users', { bob: { uid: 1 } }], { merge: true })).toEqual({
      bob: { uid: 1 },
      alice: { uid: 1000 },
    });
    expect(await call('pillar.get', ['ports', [443]], { merge: true })).toEqual([443, 80]);
  });

  it('merges pillar= overrides over the compiled pillar for one call', async () => {
    expect(await call('pillar.get', ['role'], { pillar: '{"role": "db"}' })).toBe('db');
    expect(await call('pillar.items', [], { pillar: { pkg: { apache: 'apache2' } } })).toMatchObject({
      pkg: { apache: 'apache2', list: ['a', { name: 'b' }] },
    });
    await expect(call('pillar.get', ['role'], { pillar: '[1]' })).rejects.toMatchObject({ code: 'ERR_ARGS_INVALID' });
  });

  it('asks the master afresh for items and ls, and uses the kept pillar for raw, get and keys', async () => {
    expect(await call('pillar.items')).toEqual(PILLAR);
    expect(await call('pillar.ls')).toEqual(['role', 'pkg', 'users', 'ports']);
    expect(t!.pillarRefreshes()).toBe(2);
    expect(await call('pillar.raw', [], { key: 'role' })).toBe('web');
    expect(await call('pillar.keys', ['users'])).toEqual(['alice']);
    await expect(call('pillar.keys', ['role'])).rejects.toMatchObject({ code: 'ERR_PILLAR_NOT_A_MAPPING' });
    expect(await call('pillar.item', ['role', 'pkg:apache', 'gone'])).toEqual({
      role: 'web',
      'pkg:apache': 'httpd',
      gone: '',
    });
    expect(t!.pillarRefreshes()).toBe(2);
  });

  it("fails every pillar function with the master's compile error", async () => {
    const error = new MinionError('ERR_PILLAR_COMPILE', 'pillar did not compile:\nweb.sls:3: bad');
    t = await createTestContext({ pillarError: error });
    for (const fun of ['pillar.items', 'pillar.get', 'pillar.raw', 'saltutil.refresh_pillar']) {
      await expect(callFunction(t.ctx, fun, fun === 'pillar.get' ? ['x'] : [])).rejects.toBe(error);
    }
  });
});

describe('mine functions', () => {
  it('runs config and pillar mine_functions and replaces the entries on the master', async () => {
    t = await createTestContext({
      pillar: { mine_functions: { ping_alias: [{ mine_function: 'test.echo' }, 'hi'] } },
      mineFunctions: { 'test.ping': [], 'no.such': [] },
    });
    const out = await callFunction(t.ctx, 'mine.update');
    expect(out.ret).toMatchObject({ 'test.ping': true, ping_alias: true, 'no.such': { code: 'ERR_FUNCTION_UNKNOWN' } });
    expect(t.mine).toEqual([{ op: 'update', data: { 'test.ping': true, ping_alias: 'hi' }, clear: true }]);
  });

  it('asks the master for mine.get with the target type', async () => {
    t = await createTestContext({ mineGet: { web1: ['10.0.0.1'] } });
    const out = await callFunction(t.ctx, 'mine.get', ['web*', 'network.ip_addrs']);
    expect(out.ret).toEqual({ web1: ['10.0.0.1'] });
    expect(t.mine).toEqual([{ op: 'get', tgt: 'web*', fun: 'network.ip_addrs', tgtType: 'glob' }]);
  });
});
