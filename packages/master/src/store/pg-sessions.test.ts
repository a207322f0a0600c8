import { postgresMissing, startPostgres, waitFor, type PgCluster } from '@brine/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../core/event-bus.js';
import { openPgBridge, type PgBridge } from './pg-bridge.js';
import { migratePg } from './pg-schema.js';
import { sessionHolders, trackSessions } from './pg-sessions.js';
import { orphanedJobs } from './share-with-masters.js';
import type { JobListing } from '../core/job-store.js';

const missing = postgresMissing();
const log = pino({ level: 'silent' });

describe.skipIf(missing !== undefined)(`minion sessions in PostgreSQL${missing ? ` (${missing})` : ''}`, () => {
  let cluster: PgCluster;
  let db: PgBridge;
  beforeAll(async () => {
    cluster = await startPostgres();
    db = openPgBridge({ url: cluster.createDatabase('sessions') });
    migratePg(db);
  });
  afterAll(() => {
    db?.close();
    cluster?.stop();
  });
  const holders = () => Object.fromEntries(sessionHolders(db, Date.now()));
  const track = (bus: EventBus, masterId: string, leaseMs = 60_000) =>
    trackSessions({ db, bus, masterId, leaseMs, now: Date.now, log, batchMs: 20 });

  it('records which master holds each minion, and a minion that moved stays with its new master', async () => {
    const [busA, busB] = [new EventBus(Date.now), new EventBus(Date.now)];
    const [a, b] = [track(busA, 'A'), track(busB, 'B')];
    busA.publish('brine/minion/m1/connected', {});
    busA.publish('brine/minion/m2/connected', {});
    await waitFor(() => holders()['m2'] === 'A', 10_000, 'm1 and m2 held by A');
    expect(holders()).toEqual({ m1: 'A', m2: 'A' });
    // m2 moves to B; A hears of its old connection closing only afterwards.
    busB.publish('brine/minion/m2/connected', {});
    await waitFor(() => holders()['m2'] === 'B', 10_000, 'm2 held by B');
    busA.publish('brine/minion/m2/disconnected', {});
    busA.publish('brine/minion/m1/disconnected', {});
    await waitFor(() => holders()['m1'] === undefined, 10_000, 'm1 released');
    expect(holders()).toEqual({ m2: 'B' });
    a.unsubscribe();
    b.unsubscribe();
    expect(holders()).toEqual({});
  });

  it('counts a session as free once its lease ends without renewal (a master killed)', async () => {
    const bus = new EventBus(Date.now);
    const a = track(bus, 'K', 60_000);
    bus.publish('brine/minion/k1/connected', {});
    await waitFor(() => holders()['k1'] === 'K', 10_000, 'k1 held');
    expect(Object.fromEntries(sessionHolders(db, Date.now() + 61_000))).toEqual({});
    a.unsubscribe();
  });

  it('recovers at start only the unfinished jobs older than every other live master', () => {
    const listing = (startedAt: number) => ({ jid: String(startedAt), startedAt }) as unknown as JobListing;
    const jobs = [listing(500), listing(1500)];
    const now = Date.now();
    db.run([{ text: 'DELETE FROM masters' }]);
    expect(orphanedJobs(jobs, db, 'me', now)).toEqual(jobs);
    db.run([
      { text: 'INSERT INTO masters VALUES ($1, $2, $3)', values: ['other', 1000, now + 60_000] },
      { text: 'INSERT INTO masters VALUES ($1, $2, $3)', values: ['me', 0, now + 60_000] },
    ]);
    // The job started after `other` did may be its own: left alone.
    expect(orphanedJobs(jobs, db, 'me', now).map((j) => j.startedAt)).toEqual([500]);
    // `other` stopped renewing: its jobs are orphans.
    expect(orphanedJobs(jobs, db, 'me', now + 61_000)).toEqual(jobs);
  });
});
