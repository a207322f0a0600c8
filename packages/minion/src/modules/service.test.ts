import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callFunction, createTestContext, type TestContext } from './test-context.js';

const systemdRunning = existsSync('/run/systemd/system');

let t: TestContext;
beforeEach(async () => (t = await createTestContext()));
afterEach(() => t.cleanup());

describe('service.*', () => {
  it.skipIf(systemdRunning)('fails with ERR_MINION_SERVICE_UNAVAILABLE when systemd is not running', async () => {
    for (const fun of ['service.start', 'service.stop', 'service.status', 'service.enable']) {
      await expect(callFunction(t.ctx, fun, ['ssh'])).rejects.toMatchObject({ code: 'ERR_MINION_SERVICE_UNAVAILABLE' });
    }
  });

  it.runIf(systemdRunning)('reports a running unit as active and an unknown one as not', async () => {
    expect(await callFunction(t.ctx, 'service.status', ['systemd-journald'])).toEqual({ ret: true, retcode: 0 });
    const unknown = await callFunction(t.ctx, 'service.status', ['no-such-unit-brine']);
    expect(unknown.ret).toBe(false);
    expect(unknown.retcode).not.toBe(0);
  });

  it.runIf(systemdRunning)('fails with ERR_MINION_COMMAND_FAILED when starting an unknown unit', async () => {
    await expect(callFunction(t.ctx, 'service.start', ['no-such-unit-brine'])).rejects.toMatchObject({
      code: 'ERR_MINION_COMMAND_FAILED',
    });
  });

  it('refuses unit names that could be read as options', async () => {
    await expect(callFunction(t.ctx, 'service.start', ['--now'])).rejects.toMatchObject({ code: 'ERR_ARGS_INVALID' });
  });
});
