import { postgresMissing, startPostgres, waitFor, type PgCluster } from '@brine/testing';
import { jobRequestSchema } from '@brine/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgBridge, type PgBridge, type PgOrderedBridge } from '../store/pg-bridge.js';
import { pgNotifications$, type PgNotification } from '../store/pg-listener.js';
import { migratePg } from '../store/pg-schema.js';
import { OWNERSHIP_SQL, claimJob, lostJobs, ownedJobs, releaseJob, takeOverJobs } from './job-ownership.js';
import { ROUTED_CHANNEL, routeToMinions, routeToOwners, takeRouted } from './routed-frames.js';
import { shareGrains } from './shared-grains.js';
import { remoteReturns } from './remote-returns.js';
import { MinionRegistry } from '../core/registry.js';
import { FrameRouter } from '../core/frame-router.js';
import type { JobFrame } from '../core/minion-link.js';
import { RETURNS_CHANNEL, openResultWriter, pgJobStoreOn } from '../store/pg-job-store.js';
import { firstValueFrom } from 'rxjs';

const missing = postgresMissing();
const request = jobRequestSchema.parse({ target: 'm*', fun: 'test.ping', timeoutMs: 5000 });

describe.skipIf(missing !== undefined)(`routing tables in PostgreSQL${missing ? ` (${missing})` : ''}`, () => {
  let cluster: PgCluster;
  let url: string;
  let db: PgOrderedBridge;
  beforeAll(async () => {
    cluster = await startPostgres();
    url = cluster.createDatabase('routing');
    db = openPgBridge({ url });
    migratePg(db);
  });
  afterAll(() => {
    db?.close();
    cluster?.stop();
  });
  const sql = (text: string, values: unknown[] = []) => db.run([{ text, values }])[0]!.rows;
  const live = (masterId: string, leaseUntil: number) =>
    sql(
      `INSERT INTO masters (master_id, started_at, lease_until) VALUES ($1, 0, $2)
       ON CONFLICT (master_id) DO UPDATE SET lease_until = excluded.lease_until`,
      [masterId, leaseUntil],
    );
  const hold = (minionId: string, masterId: string) =>
    sql(
      `INSERT INTO minion_sessions (minion_id, master_id, connected_at, lease_until) VALUES ($1, $2, 0, $3)
       ON CONFLICT (minion_id) DO UPDATE SET master_id = excluded.master_id`,
      [minionId, masterId, Date.now() + 60_000],
    );

  it('sends a batch of minion frames as one row per holder and frame, with one notification per holder', async () => {
    const heard: PgNotification[] = [];
    const sub = pgNotifications$({ url, channels: [ROUTED_CHANNEL] }).subscribe((n) => heard.push(n));
    try {
      // The listener is up once it hears a notification of its own.
      await waitFor(
        () => {
          sql('SELECT pg_notify($1, $2)', [ROUTED_CHANNEL, 'probe']);
          return heard.length > 0;
        },
        10_000,
        'the listener',
      );
      heard.length = 0;
      for (const [id, master] of [
        ['m1', 'B'],
        ['m2', 'B'],
        ['m3', 'C'],
        ['m4', 'A'],
      ] as const)
        hold(id, master);
      const page = new Uint8Array([1, 2, 3]);
      const other = new Uint8Array([9]);
      routeToMinions(db, 'A', Date.now(), [
        { id: 'm1', bytes: page },
        { id: 'm2', bytes: page },
        { id: 'm3', bytes: page },
        { id: 'm2', bytes: other },
        // Held by the sender itself, and held by nobody: neither is written.
        { id: 'm4', bytes: page },
        { id: 'gone', bytes: page },
      ]);
      // Notifications arrive in commit order: once a later marker is heard, the batch's are all in.
      sql('SELECT pg_notify($1, $2)', [ROUTED_CHANNEL, 'end']);
      await waitFor(() => heard.some((n) => n.payload === 'end'), 10_000, 'the notifications');
      expect(
        heard
          .map((n) => n.payload)
          .filter((p) => p !== 'probe' && p !== 'end')
          .sort(),
      ).toEqual(['B', 'C']);
      const forB = takeRouted(db, 'B');
      expect(
        forB
          .map((b) => (b.kind === 'minion' ? [b.minionIds.sort(), [...b.bytes]] : []))
          .sort((x, y) => x.length - y.length),
      ).toEqual(
        expect.arrayContaining([
          [
            ['m1', 'm2'],
            [1, 2, 3],
          ],
          [['m2'], [9]],
        ]),
      );
      expect(forB).toHaveLength(2);
      expect(takeRouted(db, 'B')).toEqual([]);
      expect(takeRouted(db, 'C')).toEqual([{ kind: 'minion', minionIds: ['m3'], bytes: new Uint8Array([1, 2, 3]) }]);
      expect(takeRouted(db, 'A')).toEqual([]);
    } finally {
      sub.unsubscribe();
    }
  });

  it("sends minions' acks and progress to the owner of their job, and nothing for a job without one", () => {
    claimJob(db, 'OWNER', { jid: 'j-owned', request, user: 'u', startedAt: 1 });
    claimJob(db, 'HOLDER', { jid: 'j-mine', request, user: 'u', startedAt: 1 });
    const ack = { kind: 'ack', minionId: 'm1', jid: 'j-owned', attempt: 0, state: 'started' } as const;
    const progress = { kind: 'progress', minionId: 'm1', jid: 'j-owned', stream: 'stdout', data: 'x' } as const;
    routeToOwners(db, 'HOLDER', Date.now(), [ack, { ...ack, jid: 'j-finished' }, { ...ack, jid: 'j-mine' }, progress]);
    expect(takeRouted(db, 'OWNER')).toEqual([{ kind: 'owner', frames: [ack, progress] }]);
    expect(takeRouted(db, 'HOLDER')).toEqual([]);
    releaseJob(db, 'j-owned');
    releaseJob(db, 'j-mine');
  });

  it('takes over only the jobs whose owner lease has ended, and releases them when finished', () => {
    const now = Date.now();
    live('ALIVE', now + 60_000);
    live('DEAD', now - 1);
    claimJob(db, 'ALIVE', { jid: 'j1', request, user: 'u', startedAt: 1 });
    claimJob(db, 'DEAD', { jid: 'j2', request, user: 'v', startedAt: 2 });
    // An owner that stopped and removed its `masters` row counts as gone too.
    claimJob(db, 'NEVER-SEEN', { jid: 'j3', request, user: 'w', startedAt: 3 });
    expect(ownedJobs(db, ['j1', 'j2', 'j3', 'j4'])).toEqual(new Set(['j1', 'j2', 'j3']));
    const taken = takeOverJobs(db, 'ALIVE', now, ['j1']);
    expect(taken.map((t) => [t.jid, t.user, t.startedAt, t.request.fun])).toEqual([
      ['j2', 'v', 2, 'test.ping'],
      ['j3', 'w', 3, 'test.ping'],
    ]);
    // Taken now, so not again while this master runs them; retaken if it does not.
    expect(takeOverJobs(db, 'ALIVE', now, ['j1', 'j2', 'j3'])).toEqual([]);
    expect(takeOverJobs(db, 'ALIVE', now, ['j1', 'j2']).map((t) => t.jid)).toEqual(['j3']);
    // The old owner, were it only stalled, finds it no longer owns them; a job with no owner row finished.
    expect(lostJobs(db, 'DEAD', ['j2'])).toEqual(['j2']);
    expect(lostJobs(db, 'ALIVE', ['j1', 'j2', 'j9'])).toEqual(['j9']);
    expect(sql('SELECT takeovers FROM job_owners WHERE jid = $1', ['j2'])).toEqual([{ takeovers: 1 }]);
    for (const jid of ['j1', 'j2', 'j3']) releaseJob(db, jid);
    expect(ownedJobs(db, ['j1', 'j2', 'j3'])).toEqual(new Set());
  });

  it('lets exactly one of two masters take a job over when both try at once', async () => {
    const now = Date.now();
    live('X', now + 60_000);
    live('Y', now + 60_000);
    claimJob(db, 'LOST', { jid: 'race', request, user: 'u', startedAt: 1 });
    const [x, y] = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
    await Promise.all([x.connect(), y.connect()]);
    try {
      // X has taken the row and not committed; Y's attempt waits on it, then finds the owner changed.
      await x.query('BEGIN');
      const byX = await x.query(OWNERSHIP_SQL.takeOver, ['X', now, 100, []]);
      const pendingY = y.query(OWNERSHIP_SQL.takeOver, ['Y', now, 100, []]);
      await new Promise((r) => setTimeout(r, 200));
      await x.query('COMMIT');
      const byY = await pendingY;
      expect(byX.rows.map((r: { jid: string }) => r.jid)).toEqual(['race']);
      expect(byY.rows).toEqual([]);
      expect(sql('SELECT master_id, takeovers FROM job_owners WHERE jid = $1', ['race'])).toEqual([
        { master_id: 'X', takeovers: 1 },
      ]);
    } finally {
      await Promise.all([x.end(), y.end()]);
      releaseJob(db, 'race');
    }
  });

  it('shares grains: a minion connected to one master is known with its grains on another, unless its key is not accepted', async () => {
    for (const [id, state] of [
      ['g1', 'accepted'],
      ['g2', 'rejected'],
    ])
      sql(`INSERT INTO minion_keys (id, state, pub) VALUES ($1, $2, '\\x00')`, [id, state]);
    const [here, there] = [new MinionRegistry(Date.now), new MinionRegistry(Date.now)];
    const [writer, reader] = [shareGrains(db, here, { batchMs: 10 }), shareGrains(db, there)];
    try {
      here.attach({ id: 'g1', send: () => true, close: () => {} }, { os: 'Debian' });
      here.attach({ id: 'g2', send: () => true, close: () => {} }, { os: 'Debian' });
      await waitFor(() => sql('SELECT count(*)::int AS n FROM minion_grains')[0]!.n === 2, 10_000, 'grains written');
      reader.refresh();
      expect(there.list().map((m) => [m.id, m.grains, m.connected])).toEqual([['g1', { os: 'Debian' }, false]]);
      // A reconnect with new grains: seen by the next read, and by a catch-up.
      here.attach({ id: 'g1', send: () => true, close: () => {} }, { os: 'Ubuntu' });
      await waitFor(
        () => {
          reader.refresh();
          return there.get('g1')?.grains['os'] === 'Ubuntu';
        },
        10_000,
        'new grains',
      );
      reader.catchUp();
      expect(there.get('g1')?.grains).toEqual({ os: 'Ubuntu' });
    } finally {
      writer.stop();
      reader.stop();
    }
  });

  it('shares grains a minion changes while connected, and names the minions whose grains a read brought', async () => {
    sql(`INSERT INTO minion_keys (id, state, pub) VALUES ('g3', 'accepted', '\\x00')`);
    const [here, there] = [new MinionRegistry(Date.now), new MinionRegistry(Date.now)];
    const learned: string[][] = [];
    const writer = shareGrains(db, here, { batchMs: 10 });
    const reader = shareGrains(db, there, { learned: (ids) => learned.push(ids) });
    try {
      reader.refresh();
      learned.length = 0;
      here.attach({ id: 'g3', send: () => true, close: () => {} }, { os: 'Debian' });
      await waitFor(
        () => {
          reader.refresh();
          return there.get('g3')?.grains['os'] === 'Debian';
        },
        10_000,
        'grains at connect',
      );
      // grains.setval on the connected minion: no reconnect, the other master sees it all the same.
      here.updateGrains('g3', { os: 'Debian', role: 'db' });
      await waitFor(
        () => {
          reader.refresh();
          return there.get('g3')?.grains['role'] === 'db';
        },
        10_000,
        'grains changed while connected',
      );
      expect(learned).toEqual([['g3'], ['g3']]);
    } finally {
      writer.stop();
      reader.stop();
    }
  });

  it('reads only the returns the notified transaction wrote, each once, from either write path', async () => {
    const writer = openResultWriter({ url });
    const store = pgJobStoreOn(db, writer);
    const jid = '20260101000000000100';
    store.createJob({
      jid,
      fun: 'test.ping',
      args: [],
      kwargs: {},
      target: 'r*',
      targetType: 'glob',
      user: 'test',
      startedAt: Date.now(),
      minions: ['ra', 'rb', 'rc'],
    });
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    const heard: { jids: string[]; xid: string }[] = [];
    listener.on('notification', (n) => heard.push(JSON.parse(n.payload ?? '{}') as { jids: string[]; xid: string }));
    await listener.query(`LISTEN ${RETURNS_CHANNEL}`);
    const fetched: number[] = [];
    const counting: PgBridge = {
      ...db,
      run: (statements) => {
        const results = db.run(statements);
        if (statements[0]!.text.includes('xmin')) fetched.push(results[0]!.rowCount);
        return results;
      },
    };
    const router = new FrameRouter();
    const returns = remoteReturns(counting, router);
    const seen: JobFrame[] = [];
    const sub = returns.frames$(jid).subscribe((f) => seen.push(f));
    const ret = (id: string) => ({
      jid,
      id,
      outcome: 'returned' as const,
      success: true,
      retcode: 0,
      ret: id,
      durationMs: 1,
    });
    try {
      store.writeResults([ret('ra')]);
      await waitFor(() => heard.length === 1, 10_000, 'the first batch heard');
      returns.readWritten(heard[0]!.jids, [heard[0]!.xid]);
      store.writeResults([ret('rb')]);
      // The ingest's asynchronous path: its notification names the transaction that wrote the
      // row, though it goes out after the commit in a transaction of its own.
      await firstValueFrom(store.writeResults$!([ret('rc')]));
      await waitFor(() => heard.length === 3, 10_000, 'the next two batches heard');
      returns.readWritten([jid], [heard[1]!.xid, heard[2]!.xid]);
      returns.readWritten(heard[0]!.jids, [heard[0]!.xid]);
      expect(seen.map((f) => f.minionId)).toEqual(['ra', 'rb', 'rc']);
      // One row, then the next two batches' two rows in one query (not ra again); the first
      // batch read again fetches its one row, which the job has seen: delivered once all the same.
      expect(fetched).toEqual([1, 2, 1]);
    } finally {
      sub.unsubscribe();
      await listener.end();
      writer.close();
    }
  });
});
