import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type BusEvent } from '@brine/client';
import { BIN, Cluster, postgresMissing, startPostgres, waitFor, type PgCluster } from '@brine/testing';

const missing = postgresMissing();

/** The master identity files every master of a group shares. */
const IDENTITY = ['master.pem', 'master.pub', 'master-tls.key', 'master-tls.crt'];

interface AuditRow {
  master: string;
  user: string | null;
  method: string;
  route: string;
  status: number;
}

describe.skipIf(missing !== undefined)(
  `enrollment tokens, the audit log and the SDK across masters${missing ? ` (${missing})` : ''}`,
  () => {
    let pg: PgCluster;
    let a: Cluster;
    let b: Cluster;
    beforeAll(async () => {
      pg = await startPostgres();
      const url = pg.createDatabase('shared');
      // One user whose API token (shared in the database) the SDK presents to either master.
      const master = { store: url, users: { sdk: {} }, acl: { sdk: ['.*', '@jobs', '@events'] } };
      a = new Cluster({ autosign: false, master });
      b = new Cluster({ autosign: false, master });
      await a.startMaster();
      mkdirSync(join(b.masterDir, 'pki'), { recursive: true, mode: 0o700 });
      for (const f of IDENTITY) copyFileSync(join(a.masterDir, 'pki', f), join(b.masterDir, 'pki', f));
      await b.startMaster();
    }, 120_000);
    afterAll(async () => {
      await a?.stop();
      await b?.stop();
      pg?.stop();
    });

    const keyState = async (c: Cluster, id: string) => {
      const { body } = await c.api<{ keys: { id: string; state: string }[] }>('GET', '/api/v1/keys');
      return body.keys.find((k) => k.id === id)?.state;
    };

    it('admits on master b a minion with a token made on master a, and only one minion per token', async () => {
      const made = await a.cli(BIN.brineKey, ['--gen-token', '--ttl', '10m', '--out', 'json']);
      expect(made.code, made.stderr).toBe(0);
      const { token } = JSON.parse(made.stdout) as { token: string };
      b.startMinion('en-b', { enroll_token: token });
      await b.waitConnected(['en-b'], 30_000);
      expect(await keyState(a, 'en-b')).toBe('accepted');
      // Spent on b: the same token on a leaves the next minion waiting for an operator.
      a.startMinion('en-a', { enroll_token: token });
      await waitFor(async () => (await keyState(a, 'en-a')) === 'pending', 30_000, 'en-a to be pending');
      expect(pg.psql('SELECT count(*) FROM enroll_tokens', 'shared')).toBe('0');
    }, 90_000);

    it('lists on master b, with brine-run audit.list, the requests master a served', async () => {
      const denied = await a.cli(BIN.brineRun, ['jobs.list'], { env: { BRINE_TOKEN: 'not-a-token' } });
      expect(denied.code).not.toBe(0);
      const entries = await waitFor(
        async () => {
          const r = await b.cli(BIN.brineRun, ['audit.list', 'limit=1000', '--out', 'json']);
          expect(r.code, r.stderr).toBe(0);
          const rows = JSON.parse(r.stdout) as AuditRow[];
          const refusedOnA = rows.some((e) => e.route === '/api/v1/jobs' && e.status === 401);
          return refusedOnA && new Set(rows.map((e) => e.master)).size === 2 ? rows : undefined;
        },
        30_000,
        "a's refused request beside b's own in b's audit list",
      );
      expect(entries).toContainEqual(
        expect.objectContaining({ method: 'POST', route: '/api/v1/keys/enroll-tokens', status: 201, user: 'root' }),
      );
    }, 60_000);

    it('sends SDK requests and its event stream to master b once master a is killed', async () => {
      const made = await a.api<{ token: string }>('POST', '/api/v1/tokens', { user: 'sdk', ttlSeconds: 3600 });
      expect(made.status).toBe(201);
      const client = connect({ url: [a.endpoints.api, b.endpoints.api], token: made.body.token });
      const seen: BusEvent[] = [];
      const errors: unknown[] = [];
      const sub = client.events$().subscribe({ next: (e) => seen.push(e), error: (e) => errors.push(e) });
      try {
        // The stream opens on a (the first URL): a's key event shows it is live.
        expect((await a.api('POST', '/api/v1/keys/en-a/accept')).status).toBe(200);
        await waitFor(
          () => seen.some((e) => e.tag === 'brine/key/en-a/accepted'),
          30_000,
          "a's key event on the stream",
        );
        await a.killMaster('SIGKILL');
        // The stream reopens on b; b runs each job, until the events of one of them (the
        // stream may carry a job's ret event just after its result came back) are on the stream.
        const runs: Awaited<ReturnType<typeof client.run>>[] = [];
        const onB = await waitFor(
          async () => {
            const r = await client.run({ target: 'en-b', fun: 'test.ping', timeoutMs: 10_000 });
            expect(r.results['en-b']).toMatchObject({ outcome: 'returned', ret: true });
            runs.push(r);
            return runs.find((run) => seen.some((e) => e.tag === `brine/job/${run.jid}/ret/en-b`));
          },
          60_000,
          "a job of b's on the reopened stream",
        );
        expect(onB.summary).toMatchObject({ returned: 1 });
        expect(errors).toEqual([]);
      } finally {
        sub.unsubscribe();
      }
    }, 120_000);
  },
);
