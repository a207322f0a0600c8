/**
 * Issue #20, the targeting gaps docs/scale.md listed: on three masters sharing one PostgreSQL,
 * a pillar target, a grain set while connected, and a key accepted after a master started
 * reach the master a job is published on, though the minions are held by the others.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, postgresMissing, startPostgres, waitFor, type PgCluster } from '@brine/testing';

const missing = postgresMissing();

/** The master identity files every master of a group shares. */
const IDENTITY = ['master.pem', 'master.pub', 'master-tls.key', 'master-tls.crt'];

interface Posted {
  jid: string;
  minions: string[];
}

interface Lookup {
  job: { endedAt?: number };
  minions: { id: string; outcome: string | null }[];
}

describe.skipIf(missing !== undefined)(`targets across three masters${missing ? ` (${missing})` : ''}`, () => {
  let pg: PgCluster;
  let a: Cluster, b: Cluster, c: Cluster;
  beforeAll(async () => {
    pg = await startPostgres();
    const url = pg.createDatabase('targets');
    // Every master reads the same pillar_roots, as they read the same config.
    const roots = mkdtempSync(join(tmpdir(), 'brine-mm-pillar-'));
    writeFileSync(join(roots, 'top.sls'), "base:\n  'tb':\n    - role\n");
    writeFileSync(join(roots, 'role.sls'), 'role: db\n');
    const master = { store: url, pillar_roots: { base: [roots] }, autosign: { ids: ['tb', 'tc'] } };
    [a, b, c] = [0, 1, 2].map(() => new Cluster({ master })) as [Cluster, Cluster, Cluster];
    await a.startMaster();
    for (const m of [b, c]) {
      mkdirSync(join(m.masterDir, 'pki'), { recursive: true, mode: 0o700 });
      for (const f of IDENTITY) copyFileSync(join(a.masterDir, 'pki', f), join(m.masterDir, 'pki', f));
    }
    await Promise.all([b.startMaster(), c.startMaster()]);
    b.startMinion('tb');
    c.startMinion('tc');
    await Promise.all([b.waitConnected(['tb']), c.waitConnected(['tc'])]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    pg?.stop();
  });

  /** Publishes on `on` until the target selects `expected` (what another master shares arrives in batches). */
  const selects = (on: Cluster, body: Record<string, unknown>, expected: string[]) =>
    waitFor(
      async () => {
        const r = await on.api<Posted>('POST', '/api/v1/jobs', { fun: 'test.ping', ...body });
        return r.status === 202 && JSON.stringify(r.body.minions) === JSON.stringify(expected) ? r.body : undefined;
      },
      30_000,
      `${JSON.stringify(body)} to select ${expected.join(',')}`,
    );
  const finished = (on: Cluster, jid: string) =>
    waitFor(
      async () => {
        const r = await on.api<Lookup>('GET', `/api/v1/jobs/${jid}`);
        return r.status === 200 && r.body.job.endedAt !== undefined ? r.body : undefined;
      },
      30_000,
      `job ${jid} to finish`,
    );

  it("matches a pillar target on master a against a minion master b holds, by a's own compile", async () => {
    const job = await selects(a, { target: 'role:db', targetType: 'pillar' }, ['tb']);
    expect((await finished(a, job.jid)).minions).toEqual([expect.objectContaining({ id: 'tb', outcome: 'returned' })]);
  }, 60_000);

  it('matches on master a a grain set on a minion while it stays connected to master c', async () => {
    const set = await c.api<Posted>('POST', '/api/v1/jobs', {
      target: 'tc',
      fun: 'grains.setval',
      args: ['tier', 'gold'],
    });
    expect(set.status).toBe(202);
    await finished(c, set.body.jid);
    const job = await selects(a, { target: 'tier:gold', targetType: 'grain' }, ['tc']);
    expect((await finished(a, job.jid)).minions).toEqual([expect.objectContaining({ id: 'tc', outcome: 'returned' })]);
  }, 60_000);

  it('knows on master a a minion accepted on master b after a started, though it never connected since', async () => {
    // Pending (no autosign for it), then gone before anyone accepts it.
    c.startMinion('tk');
    await waitFor(
      async () =>
        (await b.api<{ keys: { id: string; state: string }[] }>('GET', '/api/v1/keys')).body.keys.some(
          (k) => k.id === 'tk',
        ),
      30_000,
      "tk's pending key",
    );
    await c.killMinion('tk');
    expect((await b.api('POST', '/api/v1/keys/tk/accept')).status).toBe(200);
    // Named on a, it is reported offline rather than unknown.
    const job = await selects(a, { target: 'tk' }, ['tk']);
    expect((await finished(a, job.jid)).minions).toEqual([expect.objectContaining({ id: 'tk', outcome: 'offline' })]);
  }, 60_000);
});
