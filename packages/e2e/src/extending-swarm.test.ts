import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, waitFor } from '@brine/testing';
import { startCli } from './cli-helpers.js';

/**
 * The swarm's virtual minions sync and call custom modules as real minions do (issue #21), so
 * that custom code can be tried at scale; the process runs one worker per module content.
 */

const SWARM = 3;
const ids = Array.from({ length: SWARM }, (_, i) => `xs${i}`);
let cluster: Cluster;
let srv: string;

interface Row {
  outcome: string;
  ret: unknown;
  success?: boolean;
}

async function run(
  target: string,
  fun: string,
  targetType = 'glob',
  args: unknown[] = [],
): Promise<Record<string, Row>> {
  const res = await cluster.api<{ minions: Record<string, Row> }>('POST', '/api/v1/jobs?wait=true', {
    target,
    targetType,
    fun,
    args,
    timeoutMs: 30_000,
  });
  return res.body.minions;
}

beforeAll(async () => {
  srv = mkdtempSync(join(tmpdir(), 'brine-extending-swarm-'));
  mkdirSync(join(srv, '_modules'));
  mkdirSync(join(srv, '_grains'));
  writeFileSync(
    join(srv, '_modules/pinger.js'),
    `import { threadId } from 'node:worker_threads';
export default { name: 'pinger', functions: { ping: {
  doc: 'Answers with the minion id and the thread that ran it.', params: [],
  schema: { safeParse: (v) => ({ success: true, data: v }) },
  run: async (_input, ctx) => ({ ret: { id: ctx.grains.all().id, threadId } }),
} } };\n`,
  );
  writeFileSync(
    join(srv, '_grains/edge.js'),
    `export default { name: 'edge', grains: ({ grains }) => ({ swarm_role: grains.swarm ? 'edge' : 'core' }) };\n`,
  );
  // A custom state a highstate uses, and a custom beacon that the minions' pillar configures.
  mkdirSync(join(srv, '_states'));
  mkdirSync(join(srv, '_beacons'));
  const pass = `{ safeParse: (v) => ({ success: true, data: v }) }`;
  writeFileSync(
    join(srv, '_states/marker.js'),
    `export default { name: 'marker', states: { mark: { doc: 'Marks.', args: ${pass},
  run: async ({ name }, ctx) => ({ name, result: true, comment: 'marked by ' + ctx.grains().id, changes: {} }) } } };\n`,
  );
  writeFileSync(
    join(srv, '_beacons/tick.js'),
    `export default { name: 'tick', doc: 'Ticks.', config: ${pass}, intervalMs: 1000,
  check: async ({ grains }) => [{ data: { from: grains.id } }] };\n`,
  );
  writeFileSync(join(srv, 'top.sls'), "base:\n  'xs*':\n    - swarmhs\n");
  writeFileSync(join(srv, 'swarmhs.sls'), 'mark_it:\n  marker.mark: []\n');
  const pillarRoot = join(srv, 'pillar');
  mkdirSync(pillarRoot);
  writeFileSync(join(pillarRoot, 'top.sls'), "base:\n  'xs*':\n    - beacons\n");
  writeFileSync(join(pillarRoot, 'beacons.sls'), 'beacons:\n  tick:\n    interval_s: 1\n');
  cluster = new Cluster({ master: { file_roots: [srv], pillar_roots: { base: [pillarRoot] } } });
  await cluster.startMaster();
  cluster.startSwarm(SWARM, 'xs');
  await cluster.waitConnected(ids, 60_000);
}, 90_000);
afterAll(async () => {
  await cluster?.stop();
  if (srv) rmSync(srv, { recursive: true, force: true });
});

describe('custom modules on a swarm', () => {
  it('syncs custom modules and grains to every virtual minion', async () => {
    const res = await run('xs*', 'saltutil.sync_all');
    expect(Object.keys(res).sort()).toEqual(ids);
    for (const id of ids) {
      expect(res[id]).toMatchObject({ outcome: 'returned', success: true });
      const ret = res[id]!.ret as Record<string, { changed: string[] }>;
      expect(ret['modules']!.changed).toEqual(['pinger']);
      expect(ret['grains']!.changed).toEqual(['edge']);
    }
  });

  it('calls a synced function on every minion, each with its own context, in one shared worker', async () => {
    const res = await run('xs*', 'pinger.ping');
    const rets = ids.map((id) => res[id]?.ret as { id: string; threadId: number });
    expect(rets.map((r) => r.id)).toEqual(ids);
    // Not the main thread (0), and one worker for the three minions' copies of the same file.
    expect(rets[0]!.threadId).toBeGreaterThan(0);
    expect(new Set(rets.map((r) => r.threadId)).size).toBe(1);
  });

  it('targets the virtual minions by their custom grain', async () => {
    await waitFor(
      async () => Object.keys(await run('swarm_role:edge', 'test.ping', 'grain')).length === SWARM,
      20_000,
      'the custom grain swarm_role in targeting',
    );
  });

  it('runs the beacons of a synced minion, custom ones included, as a daemon does', async () => {
    const events = startCli(cluster, BIN.brine, ['events', '--json', 'brine/beacon/*'], 60_000);
    try {
      await events.waitFor(/"brine\/beacon\/xs0\/tick"/, 30_000);
      expect(events.stdout()).toMatch(/"from":"xs0"/);
    } finally {
      events.kill();
    }
  });

  it('syncs before a highstate and runs its custom states in state.apply', async () => {
    // A module the minions have not synced: the highstate's own sync brings it.
    writeFileSync(
      join(srv, '_modules/late.js'),
      `export default { name: 'late', functions: { hi: { doc: 'Hi.', params: [],
  schema: { safeParse: (v) => ({ success: true, data: v }) }, run: async () => ({ ret: 'late hi' }) } } };\n`,
    );
    expect((await run('xs0', 'late.hi'))['xs0']!.ret).toMatchObject({ code: 'ERR_FUNCTION_UNKNOWN' });
    const hs = await run('xs0', 'state.apply');
    expect(hs['xs0']).toMatchObject({ outcome: 'returned', success: true });
    expect(JSON.stringify(hs['xs0']!.ret)).toContain('marked by xs0');
    expect((await run('xs0', 'late.hi'))['xs0']!.ret).toBe('late hi');
  });
});
