import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import type { ModuleContext, ModuleFunction } from '../modules/types.js';
import { CUSTOM_FUNCTION_BLOCKED, CUSTOM_FUNCTION_FAILED, isolated } from './isolate.js';

const custom = (run: ModuleFunction['run']): ModuleFunction => ({
  name: 'custom.fn',
  doc: '',
  params: [],
  schema: z.object({}),
  run,
});
const contextWith = (signal: AbortSignal) => ({ signal }) as unknown as ModuleContext;
const noCall = async () => ({ ret: null });

describe('isolated', () => {
  it('turns a throw into a failed result with the message and the stack', async () => {
    const fn = isolated(
      custom(() => {
        throw new Error('kaput');
      }),
      noCall,
    );
    const res = await fn.run({}, contextWith(new AbortController().signal));
    expect(res).toMatchObject({
      retcode: 1,
      success: false,
      ret: { code: CUSTOM_FUNCTION_FAILED, message: 'custom.fn: kaput' },
    });
    expect((res.ret as { stack: string }).stack).toContain('isolate.test.ts');
  });

  it('stops waiting for a function that never settles when the job signal aborts', async () => {
    const abort = new AbortController();
    const pending = isolated(
      custom(() => new Promise(() => {})),
      noCall,
    ).run({}, contextWith(abort.signal));
    abort.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_MINION_CANCELLED' });
  });

  it('gives custom code ctx.call, bound to its own job context', async () => {
    const seen: unknown[] = [];
    const fn = isolated(
      custom(async (_input, ctx) => ctx.call!('test.echo', ['hi'])),
      async (ctx, fun, args) => {
        seen.push(ctx.signal, fun, args);
        return { ret: 'called' };
      },
    );
    const signal = new AbortController().signal;
    expect(await fn.run({}, contextWith(signal))).toEqual({ ret: 'called' });
    expect(seen).toEqual([signal, 'test.echo', ['hi']]);
  });

  it('stops a function stuck in a synchronous loop at the job deadline, and the minion goes on', async () => {
    const fn = isolated(
      custom(async () => {
        for (;;);
      }),
      noCall,
    );
    const ctx = { signal: new AbortController().signal, timeoutMs: 200 } as unknown as ModuleContext;
    const startedAt = Date.now();
    const res = await fn.run({}, ctx);
    expect(res).toMatchObject({ retcode: 1, success: false, ret: { code: CUSTOM_FUNCTION_BLOCKED } });
    expect(Date.now() - startedAt).toBeLessThan(5000);
    // The event loop is free again: a timer fires and a second call answers.
    await new Promise((r) => setTimeout(r, 1));
    const ok = isolated(
      custom(async () => ({ ret: 'fine' })),
      noCall,
    );
    expect(await ok.run({}, ctx)).toEqual({ ret: 'fine' });
  });
});
