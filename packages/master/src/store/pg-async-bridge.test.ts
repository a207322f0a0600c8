import { postgresMissing, startPostgres, type PgCluster } from '@brine/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgAsyncBridge, type PgAsyncBridge } from './pg-async-bridge.js';

const missing = postgresMissing();

describe.skipIf(missing !== undefined)(`the non-blocking PostgreSQL bridge${missing ? ` (${missing})` : ''}`, () => {
  let cluster: PgCluster;
  const bridges: PgAsyncBridge[] = [];
  const open = () => {
    const b = openPgAsyncBridge({ url: cluster.url('async') });
    bridges.push(b);
    return b;
  };
  beforeAll(async () => {
    cluster = await startPostgres();
    cluster.createDatabase('async');
    cluster.psql('CREATE TABLE t (n int PRIMARY KEY)', 'async');
  });
  afterAll(() => {
    for (const b of bridges) b.close();
    cluster?.stop();
  });

  it('runs transactions posted together one after another, in the order posted', async () => {
    const db = open();
    const posted = [1, 2, 3].map((n) =>
      db.transaction([
        { text: 'INSERT INTO t (n) VALUES ($1)', values: [n] },
        { text: 'SELECT count(*)::int AS c FROM t' },
      ]),
    );
    expect(db.pending()).toBe(3);
    const counts = (await Promise.all(posted)).map((r) => r[1]!.rows[0]!.c);
    expect(counts).toEqual([1, 2, 3]);
    expect(db.pending()).toBe(0);
  });

  it('rolls a failed transaction back and rejects with its SQL state, then goes on', async () => {
    const db = open();
    const failed = db.transaction([
      { text: 'INSERT INTO t (n) VALUES (10)' },
      { text: 'INSERT INTO t (n) VALUES (1)' },
    ]);
    await expect(failed).rejects.toMatchObject({ code: 'ERR_STORE_DATABASE', sqlState: '23505' });
    const [r] = await db.run([{ text: 'SELECT count(*)::int AS c FROM t WHERE n = 10' }]);
    expect(r!.rows[0]!.c).toBe(0);
  });

  it('rejects the calls still pending with ERR_STORE_CLOSED when closed', async () => {
    const db = open();
    const slow = db.run([{ text: 'SELECT pg_sleep(1)' }]);
    db.close();
    await expect(slow).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' });
    await expect(db.run([{ text: 'SELECT 1' }])).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' });
  });
});
