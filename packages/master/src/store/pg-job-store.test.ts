import { spawn } from 'node:child_process';
import { postgresMissing, startPostgres, waitFor, type PgCluster } from '@brine/testing';
import pg from 'pg';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultWrite } from '../core/job-store.js';
import { T0, describeJobStoreContract, jobAt, returned } from './job-store.contract.js';
import { JobStoreErrorCode } from './job-store-error.js';
import { openPgBridge } from './pg-bridge.js';
import { RETURNS_CHANNEL, notifyPayload, openPgJobStore } from './pg-job-store.js';
import { PG_SCHEMA_VERSION } from './pg-schema.js';

const missing = postgresMissing();
let cluster: PgCluster;
let url: string;

describe.skipIf(missing !== undefined)(`postgres store${missing ? ` (${missing})` : ''}`, () => {
  beforeAll(async () => {
    cluster = await startPostgres();
    url = cluster.createDatabase('contract');
  });
  afterAll(() => cluster?.stop());

  // Each contract test gets an empty store: the tables are emptied before the store opens.
  describeJobStoreContract('postgres store', () => {
    const store = openPgJobStore({ url });
    cluster.psql('TRUNCATE jobs, job_minions, job_attempts', 'contract');
    return store;
  });

  describe('postgres store: migrations and faults', () => {
    it('records each applied migration once when three masters start together', async () => {
      const fresh = cluster.createDatabase('migrations');
      // Three processes open a store at once on an empty database: the advisory lock lets one
      // migrate while the others wait, then find nothing left to do.
      const codes = await Promise.all([0, 1, 2].map(() => runNode(openScript(fresh))));
      expect(codes).toEqual([0, 0, 0]);
      expect(
        cluster.psql(
          "SELECT string_agg(version::text, ',' ORDER BY version) FROM brine_schema_migrations",
          'migrations',
        ),
      ).toBe(Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1).join(','));
    });

    it('refuses a database migrated by a newer build', () => {
      const newer = cluster.createDatabase('newer');
      openPgJobStore({ url: newer }).close();
      cluster.psql(`INSERT INTO brine_schema_migrations (version) VALUES (${PG_SCHEMA_VERSION + 1})`, 'newer');
      expect(() => openPgJobStore({ url: newer })).toThrow(
        expect.objectContaining({ code: JobStoreErrorCode.schemaNewer }),
      );
    });

    it('fails at open with ERR_STORE_UNREACHABLE when nothing listens', () => {
      const t = Date.now();
      expect(() => openPgJobStore({ url: 'postgres://brine@127.0.0.1:1/none', connectTimeoutMs: 2000 })).toThrow(
        expect.objectContaining({ code: JobStoreErrorCode.unreachable }),
      );
      expect(Date.now() - t).toBeLessThan(10_000);
    });

    it('sends one notification per batch, after commit, naming the batch jids', async () => {
      const store = openPgJobStore({ url });
      const listener = new pg.Client({ connectionString: url });
      await listener.connect();
      const heard: string[] = [];
      listener.on('notification', (n) => heard.push(n.payload ?? ''));
      await listener.query(`LISTEN ${RETURNS_CHANNEL}`);
      const job = jobAt(T0 + 7, { minions: Array.from({ length: 500 }, (_, i) => `n${i}`) });
      store.createJob(job);
      const rows: ResultWrite[] = job.minions.map((id) => returned(job.jid, id));
      expect(store.writeResults(rows).every(Boolean)).toBe(true);
      await waitFor(() => heard.length > 0, 10_000, 'the notification');
      // A round trip on the listener's connection: anything else sent would have arrived by now.
      await listener.query('SELECT 1');
      // With the writing transaction's id, so a reader fetches only the rows it wrote.
      expect(heard.map((p) => JSON.parse(p) as unknown)).toEqual([
        { jids: [job.jid], xid: expect.stringMatching(/^\d+$/) },
      ]);
      await listener.end();
      store.close();
    });

    it('lets the event loop run while an asynchronous transaction commits', async () => {
      const db = openPgBridge({ url });
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 5);
      try {
        const answer = await db.transactionAsync([{ text: 'SELECT pg_sleep(0.3)' }, { text: 'SELECT 7 AS n' }]);
        expect(answer[1]?.rows).toEqual([{ n: 7 }]);
        // Blocked on the answer, the loop would have run no timer at all.
        expect(ticks).toBeGreaterThan(5);
      } finally {
        clearInterval(ticker);
        db.close();
      }
    });

    it('hands the answer of an asynchronous call on through a blocking wait', async () => {
      const db = openPgBridge({ url });
      const first = db.transactionAsync([{ text: 'SELECT 1 AS n' }]);
      // Posted after it, so its wait drains the first answer, which must reach its promise.
      expect(db.run([{ text: 'SELECT 2 AS n' }])[0]?.rows).toEqual([{ n: 2 }]);
      expect((await first)[0]?.rows).toEqual([{ n: 1 }]);
      db.close();
    });

    it('writes results on a connection of its own: blocking calls answer meanwhile, and the batch is announced from the store connection once committed', async () => {
      const store = openPgJobStore({ url, applicationName: 'async-write' });
      const job = jobAt(T0 + 10);
      store.createJob(job);
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      const heard: { pid: number; payload: string }[] = [];
      other.on('notification', (n) => heard.push({ pid: n.processId, payload: n.payload ?? '' }));
      await other.query(`LISTEN ${RETURNS_CHANNEL}`);
      // Hold the row, so the write waits inside PostgreSQL.
      await other.query('BEGIN');
      await other.query('SELECT 1 FROM job_minions WHERE jid = $1 AND minion_id = $2 FOR UPDATE', [job.jid, 'db1']);
      let stored: boolean[] | undefined;
      const done = firstValueFrom(store.writeResults$!([returned(job.jid, 'db1')])).then((s) => (stored = s));
      await waitFor(
        () => cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'", 'contract') !== '0',
        10_000,
        'the write to wait for the row lock',
      );
      // On one connection this would wait for the write, which waits for the lock: a deadlock.
      expect(store.hasReturn(job.jid, 'db1')).toBe(false);
      expect(stored).toBeUndefined();
      await other.query('COMMIT');
      expect(await done).toEqual([true]);
      expect(store.hasReturn(job.jid, 'db1')).toBe(true);
      await waitFor(() => heard.length > 0, 10_000, 'the notification');
      const pid = Number(
        cluster.psql("SELECT pid FROM pg_stat_activity WHERE application_name = 'async-write'", 'contract'),
      );
      // It names the transaction that wrote the row (readers fetch rows by their xmin).
      const xmin = cluster.psql(
        `SELECT xmin FROM job_minions WHERE jid = '${job.jid}' AND minion_id = 'db1'`,
        'contract',
      );
      expect(heard).toEqual([{ pid, payload: expect.any(String) }]);
      expect(JSON.parse(heard[0]!.payload)).toEqual({ jids: [job.jid], xid: xmin });
      await other.end();
      store.close();
    });

    it('fails asynchronous calls still in flight when the bridge closes', async () => {
      const db = openPgBridge({ url });
      const slow = db.transactionAsync([{ text: 'SELECT pg_sleep(5)' }]);
      db.close();
      await expect(slow).rejects.toMatchObject({ code: JobStoreErrorCode.closed });
    });

    it('keeps working after PostgreSQL restarts, failing only the batch in between', () => {
      const store = openPgJobStore({ url });
      const job = jobAt(T0 + 8);
      store.createJob(job);
      cluster.restart();
      // The first call after the restart may find its connection gone; the next reconnects.
      let stored: boolean[] | undefined;
      for (let i = 0; i < 3 && stored === undefined; i++) {
        try {
          stored = store.writeResults([returned(job.jid, 'db1')]);
        } catch (err) {
          expect((err as { code: string }).code).toBe(JobStoreErrorCode.unreachable);
        }
      }
      expect(stored).toEqual([true]);
      expect(store.hasReturn(job.jid, 'db1')).toBe(true);
      store.close();
    });
  });

  it('names at most what fits a NOTIFY payload', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => returned(`2025010100000000${String(i).padStart(4, '0')}`, 'm'));
    const payload = JSON.parse(notifyPayload(rows)) as { jids: string[]; more?: boolean };
    expect(payload.more).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThan(8000);
  });
});

/** A script that opens and closes a store on `target`, printing nothing unless it fails. */
function openScript(target: string): string {
  const module = new URL('../../dist/store/pg-job-store.js', import.meta.url).href;
  return `const { openPgJobStore } = await import(${JSON.stringify(module)});
openPgJobStore({ url: ${JSON.stringify(target)} }).close();`;
}

/** Runs a module script in a fresh Node process; resolves with its exit code, failing on stderr. */
function runNode(script: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (stderr === '' ? resolve(code) : reject(new Error(stderr))));
  });
}
