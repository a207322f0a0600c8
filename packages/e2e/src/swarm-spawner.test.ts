import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '@brine/testing';

/**
 * A swarm starts its minions' commands from one small helper process, not from its own big one
 * (issue #17: Node forks the whole parent per spawn), and deadlines and `runas` still hold.
 */

const ids = ['sp0', 'sp1'];
let cluster: Cluster;
let swarm: ChildProcess;
let srv: string;

interface Row {
  outcome: string;
  ret: unknown;
  retcode?: number;
}

async function run(fun: string, args: unknown[], kwargs: Record<string, unknown> = {}): Promise<Record<string, Row>> {
  const res = await cluster.api<{ minions: Record<string, Row> }>('POST', '/api/v1/jobs?wait=true', {
    target: 'sp*',
    fun,
    args,
    kwargs,
    timeoutMs: 30_000,
  });
  return res.body.minions;
}

beforeAll(async () => {
  srv = mkdtempSync(join(tmpdir(), 'brine-swarm-spawner-'));
  writeFileSync(join(srv, 'parent.sls'), 'parent:\n  cmd.run:\n    - name: echo $PPID\n');
  cluster = new Cluster({ master: { file_roots: [srv] } });
  await cluster.startMaster();
  swarm = cluster.startSwarm(ids.length, 'sp');
  await cluster.waitConnected(ids, 60_000);
}, 90_000);
afterAll(async () => {
  await cluster?.stop();
  if (srv) rmSync(srv, { recursive: true, force: true });
});

describe('commands on a swarm', () => {
  it('start from one helper process, not from the swarm process', async () => {
    const res = await run('cmd.run', ['echo $PPID']);
    const parents = ids.map((id) => Number(res[id]?.ret));
    expect(parents[0]).toBeGreaterThan(0);
    expect(parents[0]).not.toBe(swarm.pid);
    expect(new Set(parents).size).toBe(1);
  });

  it('start from the helper inside a state run too', async () => {
    const [direct, state] = [await run('cmd.run', ['echo $PPID']), await run('state.apply', ['parent'])];
    for (const id of ids) {
      const results = Object.values(state[id]?.ret as Record<string, { changes: { stdout?: string } }>);
      expect(results).toHaveLength(1);
      expect(results[0]!.changes.stdout).toBe(String(direct[id]?.ret));
    }
  });

  it('die with their whole process group at their timeout', async () => {
    const started = Date.now();
    const res = await run('cmd.run_all', ['sleep 600 & sleep 600'], { timeout: 0.5 });
    expect(Date.now() - started).toBeLessThan(15_000);
    for (const id of ids) expect(res[id]?.ret).toMatchObject({ timedOut: true, retcode: 143 });
  });

  it('run as the user given by runas', async () => {
    const res = await run('cmd.run', ['id -u'], { runas: 'nobody' });
    for (const id of ids) expect(res[id]?.ret).toBe('65534');
  });
});
