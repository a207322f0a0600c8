import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, postgresMissing, startPostgres, waitFor, type PgCluster } from '@brine/testing';
import { acceptedCount, finishedRuns } from '../faults/minion-log.js';

const missing = postgresMissing();

/** The master identity files every master of a group shares. */
const IDENTITY = ['master.pem', 'master.pub', 'master-tls.key', 'master-tls.crt'];

interface Lookup {
  job: { endedAt?: number; summary?: { durationMs: number; returned: number; targeted: number } };
  minions: { id: string; outcome: string | null; reason?: string }[];
}

const wss = (c: Cluster) => `${c.endpoints.tls ? 'wss' : 'ws'}://127.0.0.1:${c.endpoints.minionPort}`;

/** Starts masters a, b and c on one database, b and c with a's identity. */
async function threeMasters(url: string): Promise<Cluster[]> {
  const masters = ['a', 'b', 'c'].map(() => new Cluster({ master: { store: url } }));
  const [a, ...others] = masters as [Cluster, Cluster, Cluster];
  await a.startMaster();
  for (const m of others) {
    mkdirSync(join(m.masterDir, 'pki'), { recursive: true, mode: 0o700 });
    for (const f of IDENTITY) copyFileSync(join(a.masterDir, 'pki', f), join(m.masterDir, 'pki', f));
  }
  await Promise.all(others.map((m) => m.startMaster()));
  return masters;
}

async function finished(master: Cluster, jid: string, timeoutMs: number): Promise<Lookup> {
  return waitFor(
    async () => {
      const r = await master.api<Lookup>('GET', `/api/v1/jobs/${jid}`);
      return r.status === 200 && r.body.job.endedAt !== undefined ? r.body : undefined;
    },
    timeoutMs,
    `job ${jid} to finish`,
  );
}

describe.skipIf(missing !== undefined)(`jobs across three masters${missing ? ` (${missing})` : ''}`, () => {
  let pg: PgCluster;
  let a: Cluster, b: Cluster, c: Cluster;
  const psql = (sql: string) => pg.psql(sql, 'routing');
  // One set of processes for both tests (the second kills master a): 3 masters, 3 minions.
  beforeAll(async () => {
    pg = await startPostgres();
    [a, b, c] = (await threeMasters(pg.createDatabase('routing'))) as [Cluster, Cluster, Cluster];
    // ra fails over from a to b when a dies.
    a.startMinion('ra', { master: [wss(a), wss(b)], master_type: 'failover' });
    b.startMinion('rb');
    c.startMinion('rc');
    await Promise.all([a.waitConnected(['ra']), b.waitConnected(['rb']), c.waitConnected(['rc'])]);
    await waitFor(() => psql('SELECT count(*) FROM minion_sessions') === '3', 10_000, 'three sessions');
    await waitFor(() => psql('SELECT count(*) FROM minion_grains') === '3', 10_000, "three minions' grains");
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    pg?.stop();
  });

  it('returns from minions on all three masters a job published on one of them', async () => {
    // A glob: the target resolves over every master's minions, not only a's.
    const post = await a.api<{ jid: string; minions: string[] }>('POST', '/api/v1/jobs', {
      target: 'r*',
      fun: 'test.ping',
    });
    expect(post.status).toBe(202);
    expect(post.body.minions).toEqual(['ra', 'rb', 'rc']);
    const done = await finished(a, post.body.jid, 30_000);
    expect(done.minions.map((m) => [m.id, m.outcome])).toEqual([
      ['ra', 'returned'],
      ['rb', 'returned'],
      ['rc', 'returned'],
    ]);
    expect(done.job.summary).toMatchObject({ targeted: 3, returned: 3 });
    // A grain target too: a's registry has the grains of the minions on b and c.
    const byGrain = await a.api<{ jid: string; minions: string[] }>('POST', '/api/v1/jobs', {
      target: 'kernel:L*',
      targetType: 'grain',
      fun: 'test.ping',
    });
    expect(byGrain.body.minions).toEqual(['ra', 'rb', 'rc']);
    expect((await finished(a, byGrain.body.jid, 30_000)).job.summary).toMatchObject({ returned: 3 });
    // Round trips from a: its own minion against one routed through b (the job's own clock).
    const durations = async (target: string) => {
      const ms: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await a.api<{ jid: string }>('POST', '/api/v1/jobs', { target, fun: 'test.ping' });
        ms.push((await finished(a, r.body.jid, 30_000)).job.summary!.durationMs);
      }
      return ms.sort((x, y) => x - y);
    };
    const local = await durations('ra');
    const routed = await durations('rb');
    console.log(`round trip from master a, ms (sorted): local ${local.join(' ')}; routed via b ${routed.join(' ')}`);
    expect(psql('SELECT count(*) FROM job_owners')).toBe('0');
  }, 120_000);

  it("streams a routed minion's progress to the caller of the owning master", async () => {
    const res = await fetch(`${a.endpoints.api}/api/v1/jobs?stream=ndjson`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'rc', fun: 'cmd.run', args: ['echo routed-progress'], stream: true }),
    });
    const lines = (await res.text())
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as { type: string; data?: string; result?: { outcome: string } });
    expect(
      lines
        .filter((l) => l.type === 'minion.progress')
        .map((l) => l.data)
        .join(''),
    ).toContain('routed-progress');
    expect(lines.find((l) => l.type === 'minion.result')?.result?.outcome).toBe('returned');
  }, 60_000);

  it('cancels a job on a minion held by another master, the cancel routed like the job', async () => {
    const post = await a.api<{ jid: string }>('POST', '/api/v1/jobs', {
      target: 'rb',
      fun: 'test.sleep',
      args: [30],
      timeoutMs: 60_000,
    });
    const { jid } = post.body;
    const ranOnB = () => readFileSync(join(b.dir, 'minion-rb.log'), 'utf8');
    await waitFor(() => ranOnB().includes(jid), 30_000, 'rb to accept the job');
    expect((await a.api('DELETE', `/api/v1/jobs/${jid}`)).status).toBe(200);
    const done = await finished(a, jid, 30_000);
    expect(done.minions).toMatchObject([{ id: 'rb', outcome: 'cancelled' }]);
    // The minion itself stopped the run: the cancel frame reached it through master b.
    await waitFor(() => finishedRuns(b.dir).some((r) => r.jid === jid), 30_000, 'rb to stop the run');
    expect(finishedRuns(b.dir).find((r) => r.jid === jid)?.outcome).toBe('cancelled');
  }, 120_000);

  it('takes over the job of an owner stalled past its lease, and the owner leaves it when it wakes', async () => {
    const post = await a.api<{ jid: string }>('POST', '/api/v1/jobs', {
      target: ['rb', 'rc'],
      targetType: 'list',
      fun: 'test.sleep',
      // Long enough to outlast the stall and the takeover (a 3 s lease here): a job whose
      // returns were all stored before the owner woke would end on it, with nothing to leave.
      args: [8],
      timeoutMs: 30_000,
    });
    expect(post.status).toBe(202);
    const { jid } = post.body;
    const accepted = () =>
      [b, c].filter((m) => readFileSync(join(m.dir, `minion-r${m === b ? 'b' : 'c'}.log`), 'utf8').includes(jid));
    await waitFor(() => accepted().length === 2, 30_000, 'rb and rc to accept the job');
    const owner = () => psql(`SELECT master_id FROM job_owners WHERE jid = '${jid}'`);
    const first = owner();
    a.master!.kill('SIGSTOP');
    try {
      await waitFor(() => owner() !== first, 30_000, 'another master to take the job over');
    } finally {
      a.master!.kill('SIGCONT');
    }
    await waitFor(
      () => readFileSync(join(a.dir, 'master.log'), 'utf8').includes('job taken over by another master; leaving it'),
      30_000,
      'master a to leave the job',
    );
    const done = await finished(b, jid, 60_000);
    expect(done.minions.map((m) => [m.id, m.outcome])).toEqual([
      ['rb', 'returned'],
      ['rc', 'returned'],
    ]);
    expect([b, c].flatMap((m) => finishedRuns(m.dir)).filter((r) => r.jid === jid)).toHaveLength(2);
    expect(psql(`SELECT count(*) FROM job_minions WHERE jid = '${jid}' AND outcome = 'returned'`)).toBe('2');
  }, 120_000);

  it('lets another master take over a job whose master was killed, every minion ending once', async () => {
    const post = await a.api<{ jid: string }>('POST', '/api/v1/jobs', {
      target: ['ra', 'rb', 'rc'],
      targetType: 'list',
      fun: 'test.sleep',
      args: [3],
      timeoutMs: 30_000,
    });
    expect(post.status).toBe(202);
    const { jid } = post.body;
    const accepted = () => [a, b, c].reduce((n, m) => n + acceptedCount(m.dir), 0);
    const before = accepted();
    await waitFor(() => accepted() - before >= 3, 30_000, 'the three minions to accept the job');
    const owner = () => psql(`SELECT master_id FROM job_owners WHERE jid = '${jid}'`);
    const first = owner();
    const killedAt = Date.now();
    await a.killMaster('SIGKILL');
    await waitFor(() => owner() !== first, 30_000, 'another master to take the job over');
    const takenAt = Date.now();
    const done = await finished(b, jid, 60_000);
    console.log(`takeover: ${takenAt - killedAt} ms from SIGKILL of the owner to the new owner's row`);
    expect(done.minions.map((m) => [m.id, m.outcome])).toEqual([
      ['ra', 'returned'],
      ['rb', 'returned'],
      ['rc', 'returned'],
    ]);
    // Each minion ran the job once, and each return is stored once; the job is finished and released.
    const runs = [a, b, c].flatMap((m) => finishedRuns(m.dir)).filter((r) => r.jid === jid);
    expect(runs.map((r) => r.minion).sort()).toEqual(['ra', 'rb', 'rc']);
    expect(psql(`SELECT count(*) FROM job_minions WHERE jid = '${jid}' AND outcome = 'returned'`)).toBe('3');
    expect(psql(`SELECT count(*) FROM jobs WHERE jid = '${jid}' AND ended_at IS NOT NULL`)).toBe('1');
    expect(owner()).toBe('');
    // Exactly one of b and c took it over.
    const tookOver = [b, c].flatMap((m) =>
      readFileSync(join(m.dir, 'master.log'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('taking over a job') && l.includes(jid)),
    );
    expect(tookOver).toHaveLength(1);
  }, 120_000);

  it('leaves its jobs to the other masters when it stops gracefully, rather than cancelling them', async () => {
    // Runs after a was killed: b and c are left, rc on c. A job from b to rc, then b stops.
    const post = await b.api<{ jid: string }>('POST', '/api/v1/jobs', {
      target: 'rc',
      fun: 'test.sleep',
      args: [2],
      timeoutMs: 30_000,
    });
    expect(post.status).toBe(202);
    const { jid } = post.body;
    await waitFor(
      () => readFileSync(join(c.dir, 'minion-rc.log'), 'utf8').includes(jid),
      30_000,
      'rc to accept the job',
    );
    await b.killMaster('SIGTERM');
    const done = await finished(c, jid, 60_000);
    expect(done.minions).toMatchObject([{ id: 'rc', outcome: 'returned' }]);
    expect(finishedRuns(c.dir).filter((r) => r.jid === jid)).toHaveLength(1);
    expect(readFileSync(join(c.dir, 'master.log'), 'utf8')).toMatch(new RegExp(`"jid":"${jid}".*taking over a job`));
  }, 120_000);
});
