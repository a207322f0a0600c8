import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, REPO_ROOT, waitFor } from '@brine/testing';
import { startCli } from './cli-helpers.js';

/** Custom modules, states, grains and beacons synced from the master's file roots (issue #21). */

const EXAMPLES = join(REPO_ROOT, 'examples/extending');
let cluster: Cluster;
let srv: string;
let out: string;

interface MinionRow {
  outcome: string;
  ret: unknown;
  success?: boolean;
  retcode?: number;
}

async function brine(...args: string[]): Promise<Record<string, MinionRow>> {
  const run = await cluster.cli(BIN.brine, [...args, '--out', 'json'], { timeoutMs: 60_000 });
  try {
    return (JSON.parse(run.stdout) as { minions: Record<string, MinionRow> }).minions;
  } catch {
    throw new Error(`brine ${args.join(' ')} printed no JSON (exit ${run.code}): ${run.stdout}${run.stderr}`);
  }
}

function slowModule(version: string): string {
  return `export default { name: 'slowver', functions: { slow: {
  doc: 'Waits, then returns the version of this file.', params: ['seconds'],
  schema: { safeParse: (v) => ({ success: true, data: v }) },
  run: async ({ seconds }) => { await new Promise((r) => setTimeout(r, Number(seconds) * 1000)); return { ret: '${version}' }; },
} } };\n`;
}

beforeAll(async () => {
  const base = mkdtempSync(join(tmpdir(), 'brine-extending-'));
  srv = join(base, 'srv');
  out = join(base, 'out');
  mkdirSync(join(srv, '_modules'), { recursive: true });
  // Does not compile: reported by the master, the others still sync.
  writeFileSync(join(srv, '_modules/broken.ts'), 'export default {{ this is not TypeScript\n');
  // Compiles, but throws when the minion loads it.
  writeFileSync(join(srv, '_modules/throws.js'), "throw new Error('cannot load here');\nexport default {};\n");
  writeFileSync(
    join(srv, '_modules/flaky.ts'),
    `import { defineModule, fn } from '@brine/extend';
import { z } from 'zod';
export default defineModule({ name: 'flaky', functions: {
  boom: fn({ doc: 'Throws.', params: [], schema: z.object({}), run: async () => { throw new Error('boom from custom code'); } }),
  hang: fn({ doc: 'Never settles.', params: [], schema: z.object({}), run: () => new Promise(() => {}) }),
  spin: fn({ doc: 'Blocks the event loop.', params: [], schema: z.object({}), run: async () => { for (;;); } }),
  loop: fn({ doc: 'Loops forever after an await.', params: [], schema: z.object({}),
    run: async () => { await null; for (;;); } }),
} });\n`,
  );
  writeFileSync(join(srv, '_modules/slowver.js'), slowModule('v1'));
  // Its virtual() looks at a custom grain: grains sync first, so it sees app_role already.
  writeFileSync(
    join(srv, '_modules/webonly.js'),
    `export default { name: 'webonly', functions: {},
  virtual: ({ grains }) => grains.app_role === 'web' ? true : { ok: false, reason: 'only on web' } };\n`,
  );
  cluster = await new Cluster({
    minions: ['web1', 'db1'],
    master: { file_roots: [srv, EXAMPLES] },
    // A custom beacon, configured before it is synced: it starts once sync_all brings it.
    minion: { loop_watchdog_s: 1, beacons: { disk_free: { path: '/', min_free_pct: 100, interval_s: 1 } } },
  }).start();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

describe('extending Brine with synced custom code', () => {
  it('syncs every kind, reporting a module that fails to compile or load while the rest load', async () => {
    const res = await brine('*', 'saltutil.sync_all');
    for (const id of ['web1', 'db1']) {
      expect(res[id]).toMatchObject({ outcome: 'returned', success: true });
      const ret = res[id]!.ret as Record<
        string,
        { changed: string[]; failed: Record<string, string>; declined: Record<string, string> }
      >;
      expect(ret['modules']!.changed).toEqual(expect.arrayContaining(['myapp', 'flaky', 'slowver']));
      expect(Object.keys(ret['modules']!.failed).sort()).toEqual(['broken', 'throws']);
      expect(ret['modules']!.failed['throws']).toContain('cannot load here');
      expect(ret['modules']!.declined).toEqual({
        wintools: 'only on Windows',
        ...(id === 'db1' ? { webonly: 'only on web' } : {}),
      });
      expect(ret['states']!.changed).toEqual(['myapp']);
      expect(ret['grains']!.changed).toEqual(['app']);
      expect(ret['beacons']!.changed).toEqual(['disk_free']);
    }
  });

  it('calls a custom module function, with its doc and argument errors like a built-in', async () => {
    const res = await brine('*', 'myapp.greet', 'world');
    expect(res['web1']).toMatchObject({ outcome: 'returned', ret: 'hello world from web1' });
    expect(res['db1']).toMatchObject({ outcome: 'returned', ret: 'hello world from db1' });
    const bad = await brine('web1', 'myapp.greet', 'world', 'shout=loud');
    expect(bad['web1']!.ret).toMatchObject({ code: 'ERR_ARGS_INVALID', message: expect.stringContaining('shout') });
    const doc = await brine('web1', 'sys.doc', 'myapp.greet');
    expect((doc['web1']!.ret as Record<string, string>)['myapp.greet']).toContain('CLI Example');
    const uptime = await brine('web1', 'myapp.uptime');
    expect(typeof uptime['web1']!.ret).toBe('number');
  });

  it('lists a module whose virtual() declined, with its reason, in sys.list_modules', async () => {
    const res = await brine('web1', 'sys.list_modules');
    const list = res['web1']!.ret as unknown[];
    expect(list).toContain('myapp');
    expect(list).not.toContain('wintools');
    expect(list).toContainEqual({ name: 'wintools', declined: 'only on Windows' });
    expect(list).toContainEqual(expect.objectContaining({ name: 'throws' }));
  });

  it('targets minions by a custom grain once synced', async () => {
    await waitFor(
      async () => {
        const r = await cluster.cli(BIN.brine, ['-G', 'app_role:web', 'test.ping', '--out', 'json']);
        const ids = Object.keys((JSON.parse(r.stdout || '{"minions":{}}') as { minions: object }).minions);
        return ids.length === 1 && ids[0] === 'web1';
      },
      20_000,
      'the custom grain app_role in targeting',
    );
    const workers = await brine('-G', 'app_role:worker', 'myapp.release');
    expect(Object.keys(workers)).toEqual(['db1']);
    expect(workers['db1']!.ret).toBe('1.2');
  });

  it('calls synced modules and grains with brine-call --local from the minion state dir', async () => {
    const stateDir = join(cluster.dir, 'minions', 'web1');
    const r = await cluster.cli(BIN.brineCall, [
      '--local',
      '--state-dir',
      stateDir,
      '--id',
      'web1',
      'myapp.release',
      '--out',
      'json',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"1.2"');
  });

  it('runs a custom runner from _runners/ with brine-run, starting jobs through its client', async () => {
    const run = await cluster.cli(BIN.brineRun, ['fleet.roles', "target='*'", '--out', 'json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ web: 1, worker: 1 });
  });

  it('runs a custom state function, in test mode first', async () => {
    const file = join(out, 'RELEASE');
    const dry = await brine('web1', 'saltutil.call_state', 'myapp.release_file', file, 'version=1.2', 'test=True');
    expect(dry['web1']!.ret).toMatchObject({ result: null, changes: { release: { old: null, new: 'release=1.2' } } });
    expect(existsSync(file)).toBe(false);
    const real = await brine('web1', 'saltutil.call_state', 'myapp.release_file', file, 'version=1.2');
    expect(real['web1']!.ret).toMatchObject({ result: true, comment: 'release file set to 1.2' });
    expect(readFileSync(file, 'utf8')).toBe('release=1.2\n');
    const again = await brine('web1', 'saltutil.call_state', 'myapp.release_file', file, 'version=1.2');
    expect(again['web1']!.ret).toMatchObject({ result: true, changes: {} });
  });

  it('runs a synced custom beacon from the minion config, its events on the master bus', async () => {
    const events = startCli(cluster, BIN.brine, ['events', '--json', 'brine/beacon/*'], 60_000);
    try {
      const m = await events.waitFor(/^.*"brine\/beacon\/web1\/disk_free".*$/m, 30_000);
      const event = JSON.parse(m[0]) as { data: Record<string, unknown> };
      expect(event.data).toMatchObject({ id: 'web1', path: '/', free_pct: expect.any(Number) });
      // On its interval: a second event follows.
      await waitFor(
        () => (events.stdout().match(/"brine\/beacon\/web1\/disk_free"/g) ?? []).length >= 2,
        20_000,
        'a second disk_free event',
      );
    } finally {
      events.kill();
    }
  });

  it('runs a custom beacon check', async () => {
    const res = await brine('web1', 'saltutil.run_beacon', 'disk_free', 'config={"path": "/", "min_free_pct": 100.0}');
    expect(res['web1']!.ret).toEqual([{ data: { path: '/', free_pct: expect.any(Number) } }]);
    const quiet = await brine('web1', 'saltutil.run_beacon', 'disk_free', 'config={"path": "/", "min_free_pct": 0}');
    expect(quiet['web1']!.ret).toEqual([]);
  });

  it('turns a throw in custom code into a failed result with its stack', async () => {
    const res = await brine('web1', 'flaky.boom');
    expect(res['web1']).toMatchObject({ outcome: 'returned', success: false, retcode: 1 });
    expect(res['web1']!.ret).toMatchObject({
      code: 'ERR_MINION_CUSTOM_FUNCTION',
      message: 'flaky.boom: boom from custom code',
      stack: expect.stringContaining('boom from custom code'),
    });
  });

  it('ends a custom function that never settles at the job deadline', async () => {
    const res = await brine('web1', 'flaky.hang', '-t', '2');
    expect(res['web1']!.success).not.toBe(true);
    expect(['timed_out', 'returned']).toContain(res['web1']!.outcome);
    const after = await brine('web1', 'test.ping');
    expect(after['web1']!.ret).toBe(true);
  });

  it('stops a custom function stuck in a synchronous loop at the job deadline; the minion goes on', async () => {
    const res = await brine('web1', 'flaky.spin', '-t', '2');
    expect(res['web1']).toMatchObject({ outcome: 'timed_out' });
    expect(res['web1']!.success).not.toBe(true);
    const after = await brine('web1', 'test.ping');
    expect(after['web1']!.ret).toBe(true);
    expect((await cluster.connected()).sort()).toEqual(['db1', 'web1']);
  });

  it('ends a custom function looping after an await at its deadline, while the minion answers', async () => {
    // Through the API, not the CLI: a CLI start takes seconds on a loaded box.
    const job = (fun: string, args: unknown[] = [], timeoutMs = 20_000) =>
      cluster
        .api<{ minions: Record<string, MinionRow> }>('POST', '/api/v1/jobs?wait=true', {
          target: 'web1',
          fun,
          args,
          timeoutMs,
        })
        .then((r) => r.body.minions['web1']!);
    const startedAt = Date.now();
    let settled = false;
    const looping = job('flaky.loop', [], 8000).finally(() => (settled = true));
    await waitFor(
      async () => ((await job('saltutil.running')).ret as { fun: string }[]).some((j) => j.fun === 'flaky.loop'),
      20_000,
      'flaky.loop to be running',
    );
    // During the loop: a built-in and another custom function answer on the same minion.
    expect(await job('test.ping')).toMatchObject({ outcome: 'returned', ret: true });
    expect((await job('myapp.greet', ['world'])).ret).toBe('hello world from web1');
    // They answered while the loop was still running (its job had not ended).
    expect(settled).toBe(false);
    const res = await looping;
    expect(res.outcome).toBe('timed_out');
    expect(res.success).not.toBe(true);
    expect(Date.now() - startedAt).toBeGreaterThan(7000);
    // The worker was replaced: the module answers again, and the minion never reconnected.
    expect((await brine('web1', 'flaky.boom'))['web1']!.ret).toMatchObject({ code: 'ERR_MINION_CUSTOM_FUNCTION' });
    expect((await cluster.connected()).sort()).toEqual(['db1', 'web1']);
    // The loop ran in its worker: the minion's own event loop never stalled for a second.
    const stalls = readFileSync(join(cluster.dir, 'minion-web1.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"component":"watchdog"'))
      .filter((l) => (JSON.parse(l) as { time: number }).time >= startedAt);
    expect(stalls).toEqual([]);
  });

  it('does not disturb a job that runs while its module is synced anew', async () => {
    const running = brine('web1', 'slowver.slow', '4');
    await waitFor(
      async () => {
        const r = await brine('web1', 'saltutil.running');
        return (r['web1']?.ret as { fun: string }[] | undefined)?.some((j) => j.fun === 'slowver.slow');
      },
      20_000,
      'slowver.slow to be running',
    );
    writeFileSync(join(srv, '_modules/slowver.js'), slowModule('v2'));
    const sync = await brine('web1', 'saltutil.sync_modules');
    expect((sync['web1']!.ret as { modules: { changed: string[] } }).modules.changed).toEqual(['slowver']);
    expect((await running)['web1']).toMatchObject({ outcome: 'returned', ret: 'v1' });
    expect((await brine('web1', 'slowver.slow', '0'))['web1']!.ret).toBe('v2');
    expect((await cluster.connected()).sort()).toEqual(['db1', 'web1']);
  });

  it('syncs the extensions before a highstate, as Salt does', async () => {
    await brine('db1', 'saltutil.clear_cache');
    expect((await brine('db1', 'myapp.greet', 'world'))['db1']!.ret).toMatchObject({ code: 'ERR_FUNCTION_UNKNOWN' });
    // A highstate, and no explicit sync, brings the custom modules back.
    mkdirSync(join(srv, 'hs'), { recursive: true });
    writeFileSync(join(srv, 'top.sls'), "base:\n  'db1':\n    - hs\n");
    writeFileSync(join(srv, 'hs/init.sls'), 'hs_nop:\n  test.nop: []\n');
    const hs = await brine('db1', 'state.apply');
    expect(hs['db1']).toMatchObject({ outcome: 'returned', success: true });
    expect((await brine('db1', 'myapp.greet', 'world'))['db1']!.ret).toBe('hello world from db1');
  });

  it('refuses a compiled file whose hash does not match the signed listing, keeping what is installed', async () => {
    appendFileSync(join(cluster.masterDir, 'extend/_compiled/modules/myapp.js'), '\n// tampered\n');
    const res = await brine('web1', 'saltutil.sync_modules');
    expect(res['web1']).toMatchObject({ success: false });
    expect(res['web1']!.ret).toMatchObject({ code: 'ERR_MINION_EXTEND_HASH' });
    expect((await brine('web1', 'myapp.greet', 'again'))['web1']!.ret).toBe('hello again from web1');
  });

  it('clears the synced extensions with saltutil.clear_cache', async () => {
    await brine('db1', 'saltutil.clear_cache');
    const res = await brine('db1', 'myapp.greet', 'world');
    expect(res['db1']!.ret).toMatchObject({ code: 'ERR_FUNCTION_UNKNOWN' });
  });
});
