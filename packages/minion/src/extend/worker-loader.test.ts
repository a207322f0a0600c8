import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExtendKind } from '@brine/protocol';
import type { StateContext } from '../states/types.js';
import { beaconStandIn, grainsStandIn, stateModuleStandIn } from './stand-ins.js';
import { loadInWorkers, type InWorker } from './worker-loader.js';
import { WorkerPool } from './worker-pool.js';

// Files as the master compiles them: zod comes from the minion's global (host-modules.ts).
// The workers run the built dist/extend/extend-worker.js: run `npx tsc -b` first.
const ZOD = `const { z } = globalThis[Symbol.for('brine.extend.zod')];`;
const quiet = pino({ level: 'silent' });
const dirs: string[] = [];
const pool = new WorkerPool({ log: quiet, abortGraceMs: 200 });

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Installs files as a sync would: `<dir>/<kind>/<name>.js` and its listing. */
function installed(kind: ExtendKind, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'brine-extend-load-'));
  dirs.push(dir);
  mkdirSync(join(dir, kind));
  const entries = Object.entries(files).map(([name, code], i) => {
    writeFileSync(join(dir, kind, `${name}.js`), code);
    return { name, path: `_compiled/${kind}/${name}.js`, sha256: String(i).padStart(64, '0'), size: code.length };
  });
  writeFileSync(join(dir, kind, 'listing.json'), JSON.stringify(entries));
  return dir;
}

const loaded = (l: { status: string; value?: InWorker }) => l.value!;

function stateContext(over: Partial<StateContext> = {}): StateContext {
  return {
    log: quiet,
    signal: new AbortController().signal,
    test: false,
    files: { getFile: async () => ({ sha256: '', size: 0 }), list: async () => [] },
    render: async (t) => t,
    grains: () => ({ id: 'web1' }),
    pillar: () => undefined,
    call: async () => ({ ret: 'called' }),
    timeoutMs: 5000,
    maxOutputBytes: 1000,
    emit: () => {},
    cacheDir: '/tmp',
    ...over,
  };
}

describe('loadInWorkers', () => {
  it(
    'loads good files in workers and reports each broken, declining, stalled or looping one',
    { timeout: 20_000 },
    async () => {
      const dir = installed('modules', {
        ok: `${ZOD} export default { name: 'ok', functions: { f: { doc: 'says hi', params: ['who'], schema: z.object({ who: z.string() }), run: async () => ({ ret: 1 }) } } };`,
        throws: `throw new Error('no thanks');`,
        shapeless: `export default { name: 'shapeless' };`,
        declines: `export default { name: 'declines', functions: {}, virtual: ({ grains }) => ({ ok: false, reason: 'not on ' + grains.os }) };`,
        stalls: `await new Promise(() => {}); export default {};`,
        loops: `for (;;); export default {};`,
      });
      const started = Date.now();
      const got = await loadInWorkers(dir, 'modules', {
        workers: pool,
        grains: { os: 'Plan9' },
        log: quiet,
        loadTimeoutMs: 4000,
      });
      expect(
        got.map((l) => [l.name, l.status]),
        JSON.stringify(got),
      ).toEqual([
        ['ok', 'loaded'],
        ['throws', 'failed'],
        ['shapeless', 'failed'],
        ['declines', 'declined'],
        ['stalls', 'failed'],
        ['loops', 'failed'],
      ]);
      // The files load side by side: two blocking files cost the deadline once, not twice.
      expect(Date.now() - started).toBeLessThan(8000);
      expect(got[0]).toMatchObject({
        value: {
          manifest: {
            kind: 'modules',
            name: 'ok',
            functions: { f: { doc: 'says hi', params: ['who'], keys: ['who'] } },
          },
        },
      });
      expect(got[1]).toMatchObject({ error: 'no thanks' });
      expect(got[2]).toMatchObject({ error: 'functions must be an object of functions' });
      expect(got[3]).toMatchObject({ reason: 'not on Plan9' });
      expect(got[4]).toMatchObject({ error: expect.stringContaining('did not load within 4000 ms') });
      expect(got[5]).toMatchObject({ error: expect.stringContaining('did not load within 4000 ms') });
      // Only the loaded file keeps a worker.
      expect(pool.size).toBe(1);
      pool.release(got[0]!.status === 'loaded' ? got[0]!.url : '', 'modules');
    },
  );

  it('runs a custom state in its worker with its test mode, and validates its arguments there', async () => {
    const dir = installed('states', {
      app: `${ZOD} export default { name: 'app', states: {
        release: { doc: 'd', args: z.object({ name: z.string(), version: z.coerce.string() }),
          run: async ({ name, version }, ctx) => ({ name, result: ctx.test ? null : true,
            comment: version + ' ' + ctx.pillar('app:env') + ' ' + (await ctx.call('test.echo')).ret, changes: ctx.test ? {} : { version } }) },
        spin: { doc: 'd', args: z.object({ name: z.string() }), run: async () => { await null; for (;;); } },
      } };`,
    });
    const [l] = await loadInWorkers(dir, 'states', { workers: pool, grains: {}, log: quiet });
    const v = loaded(l!);
    const def = stateModuleStandIn(v.manifest as never, v.worker);
    const pillar = Object.assign(() => undefined, { data: { app: { env: 'prod' } } });
    expect(await def.states['release']!.run({ name: '/srv/R', version: 2 }, stateContext({ pillar }))).toEqual({
      name: '/srv/R',
      result: true,
      comment: '2 prod called',
      changes: { version: '2' },
    });
    expect(
      await def.states['release']!.run({ name: '/srv/R', version: 2 }, stateContext({ pillar, test: true })),
    ).toMatchObject({
      result: null,
      changes: {},
    });
    expect(await def.states['release']!.run({ name: 7 }, stateContext())).toMatchObject({
      result: false,
      comment: expect.stringContaining('Invalid arguments to app.release: name:'),
    });
    // A loop after an await fails at the run's deadline; this thread was never blocked.
    const abort = new AbortController();
    const spun = def.states['spin']!.run({ name: 'x' }, stateContext({ signal: abort.signal }));
    const ticks = await new Promise<number>((resolve) => {
      let n = 0;
      const t = setInterval(() => ++n === 5 && (clearInterval(t), resolve(n)), 10);
    });
    expect(ticks).toBe(5);
    abort.abort();
    expect(await spun).toMatchObject({ result: false, comment: expect.stringContaining('stopped at its deadline') });
    pool.release(v.url, 'states');
  });

  it('reports a grains provider that hangs at its deadline and answers the others', async () => {
    const dir = installed('grains', {
      good: `export default { name: 'good', grains: ({ grains }) => ({ role: grains.id + '-web' }) };`,
      hangs: `export default { name: 'hangs', grains: async () => { await null; for (;;); } };`,
    });
    const got = await loadInWorkers(dir, 'grains', { workers: pool, grains: {}, log: quiet });
    const [good, hangs] = got.map((l) => {
      const v = loaded(l);
      return grainsStandIn(v.manifest as never, v.worker, 500);
    });
    expect(await good!.grains({ grains: { id: 'a' }, log: quiet })).toEqual({ role: 'a-web' });
    await expect(hangs!.grains({ grains: {}, log: quiet })).rejects.toThrow(/stopped at its deadline/);
    for (const l of got) pool.release(loaded(l).url, 'grains');
  });

  it('runs a beacon check in its worker and validates its options with its own schema', async () => {
    const dir = installed('beacons', {
      disk: `${ZOD} export default { name: 'disk', doc: 'free space', intervalMs: 500, config: z.object({ min: z.number() }),
        check: async ({ config, grains }) => [{ data: { min: config.min, id: grains.id } }] };`,
    });
    const [l] = await loadInWorkers(dir, 'beacons', { workers: pool, grains: {}, log: quiet });
    const v = loaded(l!);
    const b = beaconStandIn(v.manifest as never, v.worker);
    expect(b).toMatchObject({ name: 'disk', doc: 'free space', intervalMs: 500 });
    const ctx = { grains: { id: 'w' }, log: quiet, signal: new AbortController().signal };
    expect(await b.check({ ...ctx, config: { min: 5 } })).toEqual([{ data: { min: 5, id: 'w' } }]);
    await expect(b.check({ ...ctx, config: { min: 'x' } })).rejects.toMatchObject({
      code: 'ERR_ARGS_INVALID',
      message: expect.stringContaining('disk: config: min:'),
    });
    pool.release(v.url, 'beacons');
  });
});
