import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from '@brine/testing';

/**
 * Custom state functions, grains providers and beacons run in their file's worker thread, and a
 * file is imported only there (issue #21): a loop in any of them blocks its worker, never the
 * minion. One minion, files that misbehave on purpose.
 */

let cluster: Cluster;
let srv: string;

interface Row {
  outcome: string;
  ret: unknown;
  success?: boolean;
}

function job(fun: string, args: unknown[] = [], timeoutMs = 20_000): Promise<Row> {
  return cluster
    .api<{ minions: Record<string, Row> }>('POST', '/api/v1/jobs?wait=true', { target: 'iso1', fun, args, timeoutMs })
    .then((r) => r.body.minions['iso1']!);
}

beforeAll(async () => {
  srv = mkdtempSync(join(tmpdir(), 'brine-extending-isolation-'));
  for (const d of ['_modules', '_states', '_grains']) mkdirSync(join(srv, d));
  // Its top-level code never ends: reported at the load deadline, the minion untouched.
  writeFileSync(join(srv, '_modules/toploop.js'), 'for (;;);\nexport default {};\n');
  writeFileSync(
    join(srv, '_modules/fine.js'),
    `export default { name: 'fine', functions: { ok: { doc: 'Answers.', params: [],
  schema: { safeParse: (v) => ({ success: true, data: v }) }, run: async () => ({ ret: 'fine' }) } } };\n`,
  );
  writeFileSync(
    join(srv, '_states/spin.js'),
    `export default { name: 'spin', states: { forever: { doc: 'Loops after an await.',
  args: { safeParse: (v) => ({ success: true, data: v }) },
  run: async () => { await null; for (;;); } } } };\n`,
  );
  writeFileSync(
    join(srv, '_grains/hangs.js'),
    `export default { name: 'hangs', grains: async () => { await null; for (;;); } };\n`,
  );
  writeFileSync(
    join(srv, '_grains/role.js'),
    `export default { name: 'role', grains: () => ({ iso_role: 'sentinel' }) };\n`,
  );
  writeFileSync(join(srv, 'spin.sls'), 'loop_here:\n  spin.forever: []\n');
  cluster = await new Cluster({
    minions: ['iso1'],
    master: { file_roots: [srv] },
    minion: { loop_watchdog_s: 1, extend_load_timeout_s: 2 },
  }).start();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(srv, { recursive: true, force: true });
});

describe('custom code of every kind runs in its worker', () => {
  it('reports a module whose top-level code loops as failed to load, the minion connected', async () => {
    const res = await job('saltutil.sync_all', [], 60_000);
    expect(res).toMatchObject({ outcome: 'returned', success: true });
    const ret = res.ret as Record<string, { changed: string[]; failed: Record<string, string> }>;
    expect(ret['modules']!.failed['toploop']).toContain('did not load within 2000 ms');
    expect(ret['modules']!.changed.sort()).toEqual(['fine', 'toploop']);
    expect((await job('fine.ok')).ret).toBe('fine');
    expect(await cluster.connected()).toEqual(['iso1']);
  });

  it('reports a grains provider that hangs and loads the other grains', async () => {
    expect((await job('grains.item', ['iso_role'])).ret).toEqual({ iso_role: 'sentinel' });
    const log = readFileSync(join(cluster.dir, 'minion-iso1.log'), 'utf8');
    expect(log).toMatch(/"grains":"hangs".*custom grains provider failed/);
  });

  it('fails a custom state looping after an await at its deadline while test.ping answers', async () => {
    const startedAt = Date.now();
    let settled = false;
    const looping = job('saltutil.call_state', ['spin.forever', 'x'], 6000).finally(() => (settled = true));
    await waitFor(
      async () =>
        ((await job('saltutil.running')).ret as { fun: string }[]).some((j) => j.fun === 'saltutil.call_state'),
      20_000,
      'the looping state to be running',
    );
    expect(await job('test.ping')).toMatchObject({ outcome: 'returned', ret: true });
    expect(settled).toBe(false);
    const res = await looping;
    expect(res.success).not.toBe(true);
    expect(['timed_out', 'returned']).toContain(res.outcome);
    expect(await cluster.connected()).toEqual(['iso1']);
    // Neither the looping state, the hanging grains nor the looping import stalled the minion's thread.
    const stalls = readFileSync(join(cluster.dir, 'minion-iso1.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"component":"watchdog"'));
    expect(stalls).toEqual([]);
    expect(Date.now() - startedAt).toBeGreaterThan(5000);
  });

  it('fails the same state at its deadline inside a state run, the minion answering after', async () => {
    const startedAt = Date.now();
    const res = await job('state.apply', ['spin'], 4000);
    expect(res.success).not.toBe(true);
    // The run ends at its deadline (not at once, for a missing SLS or state).
    expect(Date.now() - startedAt).toBeGreaterThan(3500);
    if (res.outcome === 'returned') expect(JSON.stringify(res.ret)).toContain('spin');
    else expect(res.outcome).toBe('timed_out');
    expect(await job('test.ping')).toMatchObject({ outcome: 'returned', ret: true });
    expect(await cluster.connected()).toEqual(['iso1']);
  });
});
