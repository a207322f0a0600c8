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
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(() => pg?.stop());

  it('returns from minions on all three masters a job published on one of them', async () => {
    const url = pg.createDatabase('routing');
    const [a, b, c] = (await threeMasters(url)) as [Cluster, Cluster, Cluster];
    try {
      a.startMinion('ra');
      b.startMinion('rb');
      c.startMinion('rc');
      await Promise.all([a.waitConnected(['ra']), b.waitConnected(['rb']), c.waitConnected(['rc'])]);
      await waitFor(() => pg.psql('SELECT count(*) FROM minion_sessions', 'routing') === '3', 10_000, 'three sessions');
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
      expect(pg.psql('SELECT count(*) FROM job_owners', 'routing')).toBe('0');
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    }
  }, 180_000);

  it('lets another master take over a job whose master was killed, every minion ending once', async () => {
    const url = pg.createDatabase('takeover');
    const [a, b, c] = (await threeMasters(url)) as [Cluster, Cluster, Cluster];
    try {
      // ta fails over from a to b when a dies.
      a.startMinion('ta', { master: [wss(a), wss(b)], master_type: 'failover' });
      b.startMinion('tb');
      c.startMinion('tc');
      await Promise.all([a.waitConnected(['ta']), b.waitConnected(['tb']), c.waitConnected(['tc'])]);
      await waitFor(
        () => pg.psql('SELECT count(*) FROM minion_sessions', 'takeover') === '3',
        10_000,
        'three sessions',
      );
      const post = await a.api<{ jid: string }>('POST', '/api/v1/jobs', {
        target: ['ta', 'tb', 'tc'],
        targetType: 'list',
        fun: 'test.sleep',
        args: [3],
        timeoutMs: 30_000,
      });
      expect(post.status).toBe(202);
      const { jid } = post.body;
      const accepted = () => acceptedCount(a.dir) + acceptedCount(b.dir) + acceptedCount(c.dir);
      await waitFor(() => accepted() >= 3, 30_000, 'the three minions to accept the job');
      const killedAt = Date.now();
      await a.killMaster('SIGKILL');
      const owner = () => pg.psql(`SELECT master_id FROM job_owners WHERE jid = '${jid}'`, 'takeover');
      const first = owner();
      await waitFor(() => owner() !== first, 30_000, 'another master to take the job over');
      const takenAt = Date.now();
      const done = await finished(b, jid, 60_000);
      console.log(`takeover: ${takenAt - killedAt} ms from SIGKILL of the owner to the new owner's row`);
      expect(done.minions.map((m) => [m.id, m.outcome])).toEqual([
        ['ta', 'returned'],
        ['tb', 'returned'],
        ['tc', 'returned'],
      ]);
      // Each minion ran the job once, and each return is stored once; the job is finished and released.
      const runs = [a, b, c].flatMap((m) => finishedRuns(m.dir)).filter((r) => r.jid === jid);
      expect(runs.map((r) => r.minion).sort()).toEqual(['ta', 'tb', 'tc']);
      expect(
        pg.psql(`SELECT count(*) FROM job_minions WHERE jid = '${jid}' AND outcome = 'returned'`, 'takeover'),
      ).toBe('3');
      expect(pg.psql(`SELECT count(*) FROM jobs WHERE jid = '${jid}' AND ended_at IS NOT NULL`, 'takeover')).toBe('1');
      expect(owner()).toBe('');
      // Exactly one of b and c took it over.
      const said = [b, c].filter((m) => readFileSync(join(m.dir, 'master.log'), 'utf8').includes('taking over a job'));
      expect(said).toHaveLength(1);
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    }
  }, 180_000);
});
