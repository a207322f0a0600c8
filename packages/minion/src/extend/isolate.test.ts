import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import pino from 'pino';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModuleContext, ModuleFunction } from '../modules/types.js';
import { CUSTOM_FUNCTION_FAILED, CUSTOM_WORKER_FAILED, isolated, type CallFunction } from './isolate.js';
import { WorkerPool } from './worker-pool.js';

// Custom code as the minion installs it: an ES module file, run in a worker thread (the built
// dist/extend/extend-worker.js: run `npx tsc -b` first).
// The file reads the minion's zod from the global the master's compiler targets (host-modules.ts).
const MODULE = `const { z } = globalThis[Symbol.for('brine.extend.zod')];
const S = z.object({}).catchall(z.unknown());
export default { name: 'custom', functions: {
  boom: { doc: '', params: [], schema: S, run: async () => { throw new Error('kaput'); } },
  spin: { doc: '', params: [], schema: S, run: async () => { await null; for (;;); } },
  hang: { doc: '', params: [], schema: S, run: () => new Promise(() => {}) },
  polite: { doc: '', params: [], schema: S, run: (_i, ctx) => new Promise((r) => {
    if (ctx.signal.aborted) r({ ret: 'stopped' });
    ctx.signal.addEventListener('abort', () => r({ ret: 'stopped' }));
  }) },
  leak: { doc: '', params: [], schema: S, run: async () => { const keep = []; for (;;) keep.push(new Array(1e5).fill(keep.length)); } },
  echo: { doc: '', params: [], schema: S, run: async (input, ctx) => ({ ret: { input, id: ctx.grains.all().id, jid: ctx.jid } }) },
  calls: { doc: '', params: [], schema: S, run: async (_i, ctx) => ctx.call('test.echo', ['hi']) },
  pillar: { doc: '', params: [], schema: S, run: async (_i, ctx) => ({ ret: await ctx.pillar.items() }) },
  fetch: { doc: '', params: [], schema: S, run: async (_i, ctx) => {
    try { await ctx.files.getFile('brine://nosuch', '/tmp/x'); } catch (e) { return { ret: [e.code, e.message] }; }
  } },
  logs: { doc: '', params: [], schema: S, run: async (_i, ctx) => { ctx.log.warn({ n: 1 }, 'from the worker'); return { ret: true }; } },
} };
`;

let dir: string;
let url: string;
let pool: WorkerPool;
const quiet = pino({ level: 'silent' });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'brine-isolate-'));
  const file = join(dir, 'custom.js');
  writeFileSync(file, MODULE);
  url = `${pathToFileURL(file).href}?v=1`;
  pool = new WorkerPool({ log: quiet, resourceLimits: { maxOldGenerationSizeMb: 32 }, abortGraceMs: 200 });
});
afterAll(() => {
  pool.release(url);
  rmSync(dir, { recursive: true, force: true });
});

const noCall: CallFunction = async () => ({ ret: null });

function fnOf(name: string, call: CallFunction = noCall): ModuleFunction {
  const fn: ModuleFunction = {
    name: `custom.${name}`,
    doc: '',
    params: [],
    schema: z.object({}),
    run: async () => ({ ret: null }),
  };
  return isolated(fn, { worker: pool.acquire(url), fn: name, call });
}

function contextWith(signal: AbortSignal, log = quiet): ModuleContext {
  return {
    jid: '20260101000000000001',
    log,
    signal,
    timeoutMs: 1000,
    grains: { all: () => ({ id: 'web1' }) },
    jobs: { running: () => [] },
    mine: { configured: () => ({}) },
    maxOutputBytes: 1000,
    cacheDir: dir,
    emit: () => {},
    pillar: { items: async () => ({ db: { port: 5432 } }) },
    files: {
      getFile: async () => {
        throw Object.assign(new Error('no such file'), { code: 'ERR_FILE_NOT_FOUND' });
      },
    },
  } as unknown as ModuleContext;
}

describe('isolated custom functions in a worker thread', () => {
  it('runs the function in its worker with the input and the job context', async () => {
    const res = await fnOf('echo').run({ a: 1 }, contextWith(new AbortController().signal));
    expect(res).toEqual({ ret: { input: { a: 1 }, id: 'web1', jid: '20260101000000000001' } });
  });

  it('turns a throw into a failed result with the message and the stack', async () => {
    const res = await fnOf('boom').run({}, contextWith(new AbortController().signal));
    expect(res).toMatchObject({
      retcode: 1,
      success: false,
      ret: { code: CUSTOM_FUNCTION_FAILED, message: 'custom.boom: kaput' },
    });
    expect((res.ret as { stack: string }).stack).toContain('custom.js');
  });

  it('ends a call looping after an await at the job deadline while the main thread runs on', async () => {
    const abort = new AbortController();
    const ticks: number[] = [];
    const ticker = setInterval(() => ticks.push(Date.now()), 20);
    const deadline = setTimeout(() => abort.abort(), 500);
    try {
      const pending = fnOf('spin').run({}, contextWith(abort.signal));
      await expect(pending).rejects.toMatchObject({ code: 'ERR_MINION_CANCELLED' });
      // The main thread's timers fired while the worker looped.
      expect(ticks.length).toBeGreaterThan(5);
    } finally {
      clearInterval(ticker);
      clearTimeout(deadline);
    }
    // The worker was terminated after the grace; the next call gets a new one.
    const res = await fnOf('echo').run({}, contextWith(new AbortController().signal));
    expect(res.ret).toMatchObject({ id: 'web1' });
  });

  it('fails the other calls of a worker terminated for an overrun, with their own code', async () => {
    const abort = new AbortController();
    const other = fnOf('hang').run({}, contextWith(new AbortController().signal));
    const stuck = fnOf('spin').run({}, contextWith(abort.signal));
    abort.abort();
    await expect(stuck).rejects.toMatchObject({ code: 'ERR_MINION_CANCELLED' });
    expect(await other).toMatchObject({ retcode: 1, ret: { code: CUSTOM_WORKER_FAILED } });
  });

  it('lets the other calls of a worker run on when the aborted call returns in its grace', async () => {
    await fnOf('echo').run({}, contextWith(new AbortController().signal));
    const abort = new AbortController();
    const polite = fnOf('polite').run({}, contextWith(abort.signal));
    const other = fnOf('hang').run({}, contextWith(new AbortController().signal));
    abort.abort();
    await expect(polite).rejects.toMatchObject({ code: 'ERR_MINION_CANCELLED' });
    const late = await Promise.race([
      other.then(() => 'settled'),
      new Promise((r) => setTimeout(() => r('running'), 600)),
    ]);
    expect(late).toBe('running');
  });

  it('fails a call whose worker runs out of memory, and the next call gets a new worker', async () => {
    const res = await fnOf('leak').run({}, contextWith(new AbortController().signal));
    expect(res).toMatchObject({ retcode: 1, success: false, ret: { code: CUSTOM_WORKER_FAILED } });
    expect((res.ret as { message: string }).message).toMatch(/memory/i);
    expect((await fnOf('echo').run({}, contextWith(new AbortController().signal))).ret).toMatchObject({ id: 'web1' });
  }, 20_000);

  it('gives custom code ctx.call, run on the main thread with its own job context', async () => {
    const seen: unknown[] = [];
    const signal = new AbortController().signal;
    const fn = fnOf('calls', async (ctx, fun, args) => {
      seen.push(ctx.signal, fun, args);
      return { ret: 'called' };
    });
    expect(await fn.run({}, contextWith(signal))).toEqual({ ret: 'called' });
    expect(seen).toEqual([signal, 'test.echo', ['hi']]);
  });

  it('answers ctx.pillar and ctx.files from the main thread, errors with their code', async () => {
    const ctx = contextWith(new AbortController().signal);
    expect(await fnOf('pillar').run({}, ctx)).toEqual({ ret: { db: { port: 5432 } } });
    expect(await fnOf('fetch').run({}, ctx)).toEqual({ ret: ['ERR_FILE_NOT_FOUND', 'no such file'] });
  });

  it("writes the worker's log lines to the job's logger at their level", async () => {
    const lines: string[] = [];
    const log = pino({}, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    await fnOf('logs').run({}, contextWith(new AbortController().signal, log));
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, n: 1, msg: 'from the worker' });
  });
});
