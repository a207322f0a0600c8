import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, postgresMissing, startPostgres, waitFor, type PgCluster } from '@brine/testing';
import { acceptedCount, finishedRuns } from '../faults/minion-log.js';

const missing = postgresMissing();

/** The master identity files every master of a group shares (one key, as Salt multi-master shares its master key). */
const IDENTITY = ['master.pem', 'master.pub', 'master-tls.key', 'master-tls.crt'];

interface Lookup {
  minions: { id: string; outcome: string | null; ret?: unknown }[];
}

describe.skipIf(missing !== undefined)(`several masters on one PostgreSQL${missing ? ` (${missing})` : ''}`, () => {
  let pg: PgCluster;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(() => pg?.stop());

  it('exits at start with ERR_STORE_UNREACHABLE when the database does not answer', () => {
    const cluster = new Cluster();
    const config = join(cluster.dir, 'master.yaml');
    mkdirSync(cluster.dir, { recursive: true });
    // JSON is valid YAML. Port 1 on loopback: nothing listens, the connect is refused at once.
    const settings = { store: 'postgres://brine@127.0.0.1:1/none', state_dir: join(cluster.dir, 'm') };
    writeFileSync(config, JSON.stringify({ ...settings, interface: '127.0.0.1', port: 0, api: { port: 0 } }));
    const run = spawnSync(process.execPath, [BIN.master, '--config', config], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(1);
    expect(run.stdout + run.stderr).toContain('ERR_STORE_UNREACHABLE');
    expect(run.stderr).toContain('cannot reach PostgreSQL');
    rmSync(cluster.dir, { recursive: true, force: true });
  });

  it('moves a minion to the other master when its master is killed, and stores its in-flight return once', async () => {
    const url = pg.createDatabase('failover');
    const a = new Cluster({ master: { store: url } });
    const b = new Cluster({ master: { store: url } });
    try {
      await a.startMaster();
      mkdirSync(join(b.masterDir, 'pki'), { recursive: true, mode: 0o700 });
      for (const f of IDENTITY) copyFileSync(join(a.masterDir, 'pki', f), join(b.masterDir, 'pki', f));
      await b.startMaster();
      expect(b.endpoints.fingerprint).toBe(a.endpoints.fingerprint);
      const wss = (c: Cluster) => `${c.endpoints.tls ? 'wss' : 'ws'}://127.0.0.1:${c.endpoints.minionPort}`;
      a.startMinion('mm1', { master: [wss(a), wss(b)], master_type: 'failover' });
      await a.waitConnected(['mm1'], 30_000);
      // Master b's event stream shows the job that a publishes (the bus spans masters).
      const stream = new AbortController();
      const seen: string[] = [];
      const sse = await fetch(`${b.endpoints.api}/api/v1/events?tags=brine/job/*`, {
        headers: { authorization: `Bearer ${b.token}` },
        signal: stream.signal,
      });
      void (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of sse.body!) seen.push(decoder.decode(chunk as Uint8Array));
      })().catch(() => {});
      // Accepted on a (autosign), so b knows the key from the shared database.
      const post = await a.api<{ jid: string }>('POST', '/api/v1/jobs', {
        target: 'mm1',
        fun: 'test.sleep',
        args: [3],
        timeoutMs: 60_000,
      });
      expect(post.status).toBe(202);
      const { jid } = post.body;
      await waitFor(() => acceptedCount(a.dir) >= 1, 30_000, 'the minion to accept the job');
      await waitFor(() => seen.join('').includes(`brine/job/${jid}/new`), 30_000, "a's job event on b's stream");
      stream.abort();
      const holder = () => pg.psql(`SELECT master_id FROM minion_sessions WHERE minion_id = 'mm1'`, 'failover');
      const onA = await waitFor(holder, 10_000, 'the session of mm1 on master a');
      await a.killMaster('SIGKILL');
      // The minion finishes the job with its master gone, keeps the return in its outbox, fails
      // over to b, and b stores the return in the shared job cache.
      await b.waitConnected(['mm1'], 60_000);
      const stored = await waitFor(
        async () => {
          const r = await b.api<Lookup>('GET', `/api/v1/jobs/${jid}`);
          return r.body.minions[0]?.outcome === 'returned' ? r.body : undefined;
        },
        60_000,
        'the return to be stored through master b',
      );
      expect(stored.minions).toHaveLength(1);
      // The session moved: one row, now held by b.
      await waitFor(() => holder() !== onA && holder() !== '', 10_000, 'the session of mm1 to move to b');
      expect(finishedRuns(a.dir).filter((r) => r.jid === jid)).toHaveLength(1);
      expect(
        pg.psql(`SELECT count(*) FROM job_minions WHERE jid = '${jid}' AND outcome = 'returned'`, 'failover'),
      ).toBe('1');
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 180_000);

  it('stores a return made while PostgreSQL restarts, once, without the minion reconnecting', async () => {
    const url = pg.createDatabase('restart');
    const cluster = new Cluster({ master: { store: url } });
    try {
      await cluster.startMaster();
      cluster.startMinion('pr1');
      await cluster.waitConnected(['pr1'], 30_000);
      const post = await cluster.api<{ jid: string }>('POST', '/api/v1/jobs', {
        target: 'pr1',
        fun: 'test.sleep',
        args: [2],
        timeoutMs: 60_000,
      });
      expect(post.status).toBe(202);
      await waitFor(() => acceptedCount(cluster.dir) >= 1, 30_000, 'the minion to accept the job');
      // Down while the job runs: the return's write fails, and the ingest writes it again once
      // the database is back (the minion's connection to the master stays up throughout).
      pg.pause();
      const masterLog = () => readFileSync(join(cluster.dir, 'master.log'), 'utf8');
      await waitFor(() => masterLog().includes('job cache write failed'), 60_000, 'a write to fail');
      pg.resume();
      const returned = () =>
        pg.psql(`SELECT count(*) FROM job_minions WHERE jid = '${post.body.jid}' AND outcome = 'returned'`, 'restart');
      await waitFor(() => returned() === '1', 60_000, 'the return to be stored after the restart');
      expect(finishedRuns(cluster.dir).filter((r) => r.jid === post.body.jid)).toHaveLength(1);
      // The minion never had to reconnect for it: one connection in its log.
      const log = readFileSync(join(cluster.dir, 'minion-pr1.log'), 'utf8');
      expect(log.split('\n').filter((l) => l.includes('"connected to master"'))).toHaveLength(1);
    } finally {
      await cluster.stop();
    }
  }, 180_000);
});
