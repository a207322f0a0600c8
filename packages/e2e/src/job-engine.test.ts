import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, startFaultProxy, waitFor, type FaultProxy } from '@brine/testing';
import { acceptedCount } from './faults/minion-log.js';

/**
 * Issue 3's acceptance test: 200 minions (a swarm of 190 plus real daemons that get killed, are
 * slow, offline or cut off), every outcome class, and one job-cache row per targeted minion that
 * survives a master restart.
 */
const SWARM = 190;
let cluster: Cluster;
let proxy: FaultProxy;

interface JobResult {
  jid: string;
  success: boolean;
  summary: { targeted: number; returned: number };
  minions: Record<string, { outcome: string; success: boolean; reason?: string }>;
}
interface Lookup {
  job: { endedAt?: number };
  minions: { id: string; outcome: string | null }[];
}

beforeAll(async () => {
  cluster = new Cluster({ master: { heartbeat_ms: 1000, ack_timeout_ms: 3000 } });
  await cluster.startMaster();
  proxy = await startFaultProxy({ host: '127.0.0.1', port: cluster.endpoints.minionPort });
  cluster.startSwarm(SWARM, 'sw-');
  for (const id of ['real-ok', 'real-killed', 'real-restarted', 'real-off-1', 'real-off-2', 'real-off-3'])
    cluster.startMinion(id);
  cluster.startMinion('real-slow', { max_concurrent_jobs: 1 });
  cluster.startMinion('real-holed', { master: `wss://127.0.0.1:${proxy.port}` });
  const swarmIds = Array.from({ length: SWARM }, (_, i) => `sw-${String(i).padStart(3, '0')}`);
  await cluster.waitConnected([...swarmIds, 'real-ok', 'real-slow', 'real-holed', 'real-off-1'], 60_000);
  // Offline: accepted minions that are not running.
  for (const id of ['real-off-1', 'real-off-2', 'real-off-3']) await cluster.killMinion(id, 'SIGTERM');
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  await cluster?.stop();
});

describe('the job engine with 200 minions', () => {
  it('ends every targeted minion in exactly one outcome, of every class, and keeps one row per minion across a master restart', async () => {
    // Keep real-slow busy so the next job waits in its queue past its deadline.
    await cluster.api('POST', '/api/v1/jobs', {
      target: 'real-slow',
      fun: 'test.sleep',
      args: [20],
      timeoutMs: 30_000,
    });
    proxy.setMode('blackhole');
    // The main job: 1 s of work everywhere, a 4 s deadline.
    const main = cluster.api<JobResult>('POST', '/api/v1/jobs?wait=true', {
      target: '*',
      fun: 'test.sleep',
      args: [1],
      timeoutMs: 4000,
    });
    // Kill the two once they run the job (after their ack), however long the fan-out takes.
    await waitFor(
      () => ['real-killed', 'real-restarted'].every((id) => acceptedCount(cluster.dir, id) > 0),
      60_000,
      'real-killed and real-restarted to accept the job',
    );
    await cluster.killMinion('real-killed', 'SIGKILL');
    await cluster.killMinion('real-restarted', 'SIGKILL');
    cluster.startMinion('real-restarted');
    const { body } = await main;
    const outcome = (id: string) => body.minions[id]!;
    expect(body.summary.targeted).toBe(SWARM + 8);
    expect(Object.keys(body.minions)).toHaveLength(SWARM + 8);
    expect(outcome('sw-000')).toMatchObject({ outcome: 'returned', success: true });
    expect(outcome('real-ok')).toMatchObject({ outcome: 'returned', success: true });
    expect(outcome('real-off-2')).toMatchObject({ outcome: 'offline' });
    expect(outcome('real-holed')).toMatchObject({ outcome: 'no_ack' });
    expect(outcome('real-slow')).toMatchObject({ outcome: 'timed_out', reason: 'job_timeout' });
    expect(outcome('real-killed')).toMatchObject({ outcome: 'timed_out', reason: 'job_timeout_disconnected' });
    expect(outcome('real-restarted').outcome).toBe('interrupted');
    const swarmReturned = Object.entries(body.minions).filter(
      ([id, r]) => id.startsWith('sw-') && r.outcome === 'returned',
    );
    expect(swarmReturned).toHaveLength(SWARM);

    // A returned failure, and a cancelled job.
    const failing = await cluster.api<JobResult>('POST', '/api/v1/jobs?wait=true', {
      target: 'sw-00*',
      fun: 'cmd.run',
      args: ['exit 2'],
    });
    expect(Object.values(failing.body.minions).every((r) => r.outcome === 'returned' && !r.success)).toBe(true);
    const long = await cluster.api<{ jid: string }>('POST', '/api/v1/jobs', {
      target: 'sw-01*',
      fun: 'test.sleep',
      args: [30],
      timeoutMs: 60_000,
    });
    await new Promise((r) => setTimeout(r, 500));
    await cluster.api('DELETE', `/api/v1/jobs/${long.body.jid}`);
    await waitFor(
      async () => (await cluster.api<Lookup>('GET', `/api/v1/jobs/${long.body.jid}`)).body.job.endedAt !== undefined,
      10_000,
      'the cancelled job to end',
    );
    const cancelled = await cluster.api<Lookup>('GET', `/api/v1/jobs/${long.body.jid}`);
    expect(cancelled.body.minions.every((m) => m.outcome === 'cancelled')).toBe(true);

    // One row per targeted minion, each with an outcome, before and after a master restart.
    const before = await cluster.api<Lookup>('GET', `/api/v1/jobs/${body.jid}`);
    expect(before.body.minions).toHaveLength(SWARM + 8);
    expect(before.body.minions.every((m) => m.outcome !== null)).toBe(true);
    await cluster.killMaster('SIGKILL');
    await cluster.startMaster();
    const after = await cluster.api<Lookup>('GET', `/api/v1/jobs/${body.jid}`);
    expect(after.body.minions).toHaveLength(SWARM + 8);
    expect(new Map(after.body.minions.map((m) => [m.id, m.outcome]))).toEqual(
      new Map(before.body.minions.map((m) => [m.id, m.outcome])),
    );
  }, 120_000);
});
