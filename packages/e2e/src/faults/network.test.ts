import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, startFaultProxy, waitFor, waitForProgress, type FaultProxy } from '@brine/testing';
import { finishedRuns, outboxSize } from './minion-log.js';

let cluster: Cluster | undefined;
let proxy: FaultProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  await cluster?.stop();
  proxy = undefined;
  cluster = undefined;
});

/** A master with a 1 s heartbeat, and minions that reach it through a fault proxy. */
async function proxiedCluster(
  ids: string[],
  direct: string[] = [],
  master: Record<string, unknown> = {},
): Promise<[Cluster, FaultProxy]> {
  const c = new Cluster({ master: { heartbeat_ms: 1000, ...master } });
  // Owned by afterEach from the start, so a failed wait below still stops every process.
  cluster = c;
  await c.startMaster();
  const p = await startFaultProxy({ host: '127.0.0.1', port: c.endpoints.minionPort });
  proxy = p;
  for (const id of ids)
    c.startMinion(id, { master: `wss://127.0.0.1:${p.port}`, reconnect_base_ms: 1000, reconnect_cap_ms: 4000 });
  for (const id of direct) c.startMinion(id);
  // 20 minions through the proxy on a box loaded by other work: more than the default 15 s.
  await c.waitConnected([...ids, ...direct], 60_000);
  return [c, p];
}

async function isConnected(c: Cluster, id: string): Promise<boolean> {
  return (await c.connected()).includes(id);
}

describe('faults on the network between minions and the master', () => {
  it('drops a blackholed minion (no FIN, no RST) within two heartbeat intervals', async () => {
    const [c, p] = await proxiedCluster(['hole-1']);
    p.setMode('blackhole');
    const t0 = Date.now();
    await waitFor(async () => !(await isConnected(c, 'hole-1')), 5000, 'the master to drop the minion');
    expect(Date.now() - t0).toBeLessThanOrEqual(2 * 1000 + 300);
  });

  it('cuts off a slow reader at its buffer cap while the other minions keep their latency', async () => {
    const [c, p] = await proxiedCluster(['slow-1'], ['fast-1', 'fast-2'], {
      // A long heartbeat, so the cut comes from the buffer cap and not from a missed pong.
      heartbeat_ms: 10_000,
      max_buffered_bytes: 256 * 1024,
    });
    const ping = async () => {
      const t = Date.now();
      const res = await c.api<{ success: boolean }>('POST', '/api/v1/jobs?wait=true', {
        target: 'fast-*',
        fun: 'test.ping',
      });
      expect(res.body.success).toBe(true);
      return Date.now() - t;
    };
    const before = await ping();
    p.setMode('pause');
    const big = 'x'.repeat(900 * 1024);
    for (let i = 0; i < 60 && (await isConnected(c, 'slow-1')); i++) {
      await c.api('POST', '/api/v1/jobs', { target: '*', fun: 'test.echo', args: [big], timeoutMs: 5000 });
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(async () => !(await isConnected(c, 'slow-1')), 5000, 'the slow reader to be cut off');
    const master = readFileSync(join(c.dir, 'master.log'), 'utf8');
    expect(master).toContain('slow reader cut off');
    const during = await ping();
    expect(during).toBeLessThan(Math.max(250, before * 5));
  });

  it('survives a 30 s partition: minions notice, reconnect spread out, every return arrives once, no job is lost silently', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `part-${String(i).padStart(2, '0')}`);
    const [c, p] = await proxiedCluster(ids);
    // A job that finishes on the minions while they are cut off.
    const first = await c.api<{ jid: string }>('POST', '/api/v1/jobs', {
      target: 'part-*',
      fun: 'test.sleep',
      args: [2],
      timeoutMs: 60_000,
    });
    await new Promise((r) => setTimeout(r, 500));
    p.setMode('blackhole');
    const cutAt = Date.now();
    // Five new jobs while partitioned.
    const late: string[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 1500));
      const res = await c.api<{ jid: string }>('POST', '/api/v1/jobs', {
        target: 'part-*',
        fun: 'test.echo',
        args: [i],
        timeoutMs: 10_000,
        ackTimeoutMs: 5000,
      });
      late.push(res.body.jid);
    }
    await waitFor(() => Date.now() - cutAt >= 30_000, 40_000, '30 s of partition');
    // Minions noticed the dead master within two heartbeat intervals (plus their slack).
    for (const id of ids) {
      const log = readFileSync(join(c.dir, `minion-${id}.log`), 'utf8');
      expect(log, id).toContain('master missed its heartbeats');
    }
    p.setMode('pass');
    const healedAt = Date.now();
    const reconnectedAt = new Map<string, number>();
    await waitFor(
      async () => {
        for (const id of await c.connected()) if (!reconnectedAt.has(id)) reconnectedAt.set(id, Date.now() - healedAt);
        return reconnectedAt.size === ids.length;
      },
      30_000,
      'every minion to reconnect',
    );
    const times = [...reconnectedAt.values()].sort((a, b) => a - b);
    // Jittered backoff: reconnects are spread, not in lockstep.
    expect(times[times.length - 1]! - times[0]!).toBeGreaterThan(200);
    await waitForProgress(() => ids.every((id) => outboxSize(c.dir, id) === 0), {
      progress: () => [finishedRuns(c.dir).length, ...ids.map((id) => outboxSize(c.dir, id))],
      what: 'outboxes to drain',
    });

    // The job that finished during the partition: every return stored, each run once.
    const { body } = await c.api<{ minions: { id: string; outcome: string | null }[] }>(
      'GET',
      `/api/v1/jobs/${first.body.jid}`,
    );
    expect(body.minions.filter((m) => m.outcome === 'returned')).toHaveLength(20);
    const runs = finishedRuns(c.dir);
    const keys = runs.map((r) => `${r.jid}/${r.minion}/${r.attempt}`);
    expect(new Set(keys).size).toBe(keys.length);
    // The five jobs: each minion either ran it (delivered after the partition) or has an outcome saying it was not delivered.
    for (const jid of late) {
      await waitFor(
        async () => {
          const r = await c.api<{ job: { endedAt?: number } }>('GET', `/api/v1/jobs/${jid}`);
          return r.body.job.endedAt !== undefined;
        },
        20_000,
        `job ${jid} to finish`,
      );
      const lookup = await c.api<{ minions: { id: string; outcome: string | null; reason?: string }[] }>(
        'GET',
        `/api/v1/jobs/${jid}`,
      );
      for (const m of lookup.body.minions) {
        expect(m.outcome, `${jid} ${m.id}`).not.toBeNull();
        if (m.outcome !== 'returned') expect(['offline', 'no_ack', 'timed_out']).toContain(m.outcome);
      }
    }
  }, 120_000);
});
