import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callFunction, createTestContext, type TestContext } from './test-context.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext({
    grains: { id: 'web1', os: 'Debian', ip4_interfaces: { eth0: ['10.0.0.5'] }, roles: ['web'] },
  });
});
afterEach(() => t.cleanup());

describe('grains.*', () => {
  it('returns all grains', async () => {
    expect((await callFunction(t.ctx, 'grains.items')).ret).toMatchObject({ id: 'web1', os: 'Debian' });
  });

  it('returns several grains with nested keys, missing ones as empty strings', async () => {
    expect(await callFunction(t.ctx, 'grains.item', ['os', 'ip4_interfaces:eth0', 'nope'])).toEqual({
      ret: { os: 'Debian', 'ip4_interfaces:eth0': ['10.0.0.5'], nope: '' },
    });
  });

  it('gets one grain by a nested key, or the default', async () => {
    expect(await callFunction(t.ctx, 'grains.get', ['ip4_interfaces:eth0'])).toEqual({ ret: ['10.0.0.5'] });
    expect(await callFunction(t.ctx, 'grains.get', ['missing:key', 'fallback'])).toEqual({ ret: 'fallback' });
    expect(await callFunction(t.ctx, 'grains.get', ['missing'])).toEqual({ ret: '' });
  });

  it('sets a grain through ctx.grains.setValue', async () => {
    expect(await callFunction(t.ctx, 'grains.setval', ['role', 'db'])).toEqual({ ret: { role: 'db' } });
    expect(t.grains.role).toBe('db');
    await expect(callFunction(t.ctx, 'grains.setval', ['role'])).rejects.toMatchObject({ code: 'ERR_ARGS_INVALID' });
  });
});
