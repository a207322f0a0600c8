import { postgresMissing, startPostgres, type PgCluster } from '@brine/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, AuditTrail } from '../audit/audit-trail.js';
import { openPgAsyncBridge, type PgAsyncBridge } from './pg-async-bridge.js';
import { openPgBridge, type PgBridge } from './pg-bridge.js';
import { pgAuditTrail } from './pg-audit-trail.js';
import { migratePg } from './pg-schema.js';

const missing = postgresMissing();

const entry = (at: number, user: string, outcome: AuditEntry['outcome'] = 'ok'): AuditEntry => ({
  at,
  user,
  method: 'POST',
  route: '/api/v1/jobs',
  status: outcome === 'ok' ? 202 : 403,
  outcome,
  ip: '127.0.0.1',
  durationMs: 1,
});

describe.skipIf(missing !== undefined)(`the audit log shared in PostgreSQL${missing ? ` (${missing})` : ''}`, () => {
  let cluster: PgCluster;
  const bridges: (PgBridge | PgAsyncBridge)[] = [];
  const trails: AuditTrail[] = [];
  const master = (id: string) => {
    const bridge = openPgBridge({ url: cluster.url('audit') });
    bridges.push(bridge);
    migratePg(bridge);
    const trail = pgAuditTrail({ db: bridge, masterId: id, log: pino({ level: 'silent' }), batchMs: 10 });
    trails.push(trail);
    return trail;
  };
  beforeAll(async () => {
    cluster = await startPostgres();
    cluster.createDatabase('audit');
    cluster.createDatabase('outage');
  });
  afterAll(async () => {
    for (const t of trails) await t.close();
    for (const b of bridges) b.close();
    cluster?.stop();
  });

  it("lists every master's entries on any master, newest first, filtered", async () => {
    const [a, b] = [master('ma'), master('mb')];
    a.record(entry(1000, 'alice'));
    b.record(entry(2000, 'bob', 'denied'));
    a.record(entry(3000, 'bob'));
    await a.close();
    await b.close();
    const reader = master('mc');
    expect(reader.list({}).map((e) => [e.at, e.user, e.master])).toEqual([
      [3000, 'bob', 'ma'],
      [2000, 'bob', 'mb'],
      [1000, 'alice', 'ma'],
    ]);
    expect(reader.list({ user: 'bob', outcome: 'ok' }).map((e) => e.at)).toEqual([3000]);
    expect(reader.list({ since: 1500, until: 3000 }).map((e) => e.at)).toEqual([2000]);
    expect(reader.list({ limit: 1 }).map((e) => e.at)).toEqual([3000]);
    expect(reader.list({ user: 'bob' })[0]).toEqual({ ...entry(3000, 'bob'), master: 'ma' });
  });

  it('purges the entries before a cut, whichever master runs it, and twice is the same as once', async () => {
    const a = master('pa');
    for (const at of [100, 200, 300]) a.record(entry(at, 'purge'));
    await a.close();
    const [b, c] = [master('pb'), master('pc')];
    const removed = await Promise.all([b.purgeBefore(250), c.purgeBefore(250)]);
    expect(removed.reduce((x, y) => x + y, 0)).toBe(2);
    expect(await b.purgeBefore(250)).toBe(0);
    expect(c.list({ user: 'purge' }).map((e) => e.at)).toEqual([300]);
  });

  it('writes in batches, one INSERT for entries recorded together', async () => {
    const a = master('batch');
    for (let i = 0; i < 50; i++) a.record(entry(10_000 + i, 'carol'));
    await a.close();
    // One transaction wrote all 50 rows: they share one xmin.
    expect(cluster.psql("SELECT count(DISTINCT xmin::text) FROM audit_log WHERE master_id = 'batch'", 'audit')).toBe(
      '1',
    );
    expect(cluster.psql("SELECT count(*) FROM audit_log WHERE master_id = 'batch'", 'audit')).toBe('50');
  });

  it('writes batches through a connection that does not block, and close waits for the one in flight', async () => {
    const db = openPgBridge({ url: cluster.url('audit') });
    const writer = openPgAsyncBridge({ url: cluster.url('audit') });
    bridges.push(db, writer);
    migratePg(db);
    let posted = 0;
    const counting = { run: (s: Parameters<PgAsyncBridge['run']>[0]) => (posted++, writer.run(s)) };
    const a = pgAuditTrail({ db, writer: counting, masterId: 'async', log: pino({ level: 'silent' }), batchMs: 10 });
    a.record(entry(20_000, 'erin'));
    await waitUntil(() => posted === 1, 10_000);
    a.record(entry(20_001, 'erin'));
    await a.close();
    expect(cluster.psql(`SELECT count(*) FROM audit_log WHERE master_id = 'async'`, 'audit')).toBe('2');
  });

  it('keeps entries recorded while the database is down and writes them once it is back', async () => {
    const lines: { msg?: string }[] = [];
    const bridge = openPgBridge({ url: cluster.url('outage'), connectTimeoutMs: 1000 });
    bridges.push(bridge);
    migratePg(bridge);
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l) as { msg?: string }) });
    const a = pgAuditTrail({ db: bridge, masterId: 'down', log, batchMs: 10 });
    trails.push(a);
    cluster.pause();
    try {
      a.record(entry(1, 'dave'));
      await waitUntil(() => lines.some((l) => l.msg === 'could not write the audit log'), 30_000);
    } finally {
      cluster.resume();
    }
    a.record(entry(2, 'dave'));
    await waitUntil(
      () => cluster.psql(`SELECT count(*) FROM audit_log WHERE "user" = 'dave'`, 'outage') === '2',
      30_000,
    );
  }, 90_000);
});

async function waitUntil(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 50));
  }
}
