import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callFunction, createTestContext, type TestContext } from './test-context.js';
import { BRINE_VERSION } from './version.js';

let t: TestContext;
beforeEach(async () => (t = await createTestContext()));
afterEach(() => t.cleanup());

describe('test.*', () => {
  it('answers test.ping with true', async () => {
    expect(await callFunction(t.ctx, 'test.ping')).toEqual({ ret: true });
  });

  it('echoes its text', async () => {
    expect(await callFunction(t.ctx, 'test.echo', ['hello world'])).toEqual({ ret: 'hello world' });
  });

  it('reports the Brine version', async () => {
    expect(await callFunction(t.ctx, 'test.version')).toEqual({ ret: BRINE_VERSION });
  });

  it('returns the arguments it was given', async () => {
    expect(await callFunction(t.ctx, 'test.arg', [1, 'two'], { three: 3 })).toEqual({
      ret: { args: [1, 'two'], kwargs: { three: 3 } },
    });
  });

  it('sleeps for the given seconds, also given as a string', async () => {
    const started = Date.now();
    expect(await callFunction(t.ctx, 'test.sleep', ['0.2'])).toEqual({ ret: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('stops sleeping with ERR_MINION_CANCELLED when the job is cancelled', async () => {
    const started = Date.now();
    setTimeout(() => t.abort(), 100);
    await expect(callFunction(t.ctx, 'test.sleep', [60])).rejects.toMatchObject({ code: 'ERR_MINION_CANCELLED' });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
