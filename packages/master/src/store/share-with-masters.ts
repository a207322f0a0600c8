import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Subscription, type Observable } from 'rxjs';
import type { BusEvent, EventBus } from '../core/event-bus.js';
import type { JobListing, JobStore } from '../core/job-store.js';
import type { KeyStore } from '../keys/key-store.js';
import { openPgAsyncBridge, type PgAsyncBridge } from './pg-async-bridge.js';
import type { PgBridge } from './pg-bridge.js';
import { relayEvents } from './pg-events.js';
import { followSharedKeys } from './pg-follow.js';
import { trackSessions } from './pg-sessions.js';

/** What {@link shareWithMasters} needs. */
export interface SharingOptions {
  /** The shared database's URL, for the LISTEN connection. */
  url: string;
  db: PgBridge;
  keys: Pick<KeyStore, 'refresh'>;
  bus: Pick<EventBus, 'events$'>;
  /** How long a minion session holds without a heartbeat, in ms. */
  leaseMs: number;
  now: () => number;
  log: Logger;
}

/** A master working beside others on one database. */
export interface SharedMaster {
  /** This master process's id in `masters` and `minion_sessions`. */
  masterId: string;
  /**
   * The connection for writes nobody waits on (the event relay's), for the audit trail's
   * batches; closed by `stop`.
   */
  writer: PgAsyncBridge;
  /**
   * The job store as this master's job manager should see it: `unfinishedJobs` leaves out the
   * jobs another live master may be running (see {@link orphanedJobs}), so the recovery pass at
   * start does not mark a live job's minions interrupted.
   */
  guard(jobs: JobStore): JobStore;
  /** Other masters' events matching the globs (see {@link relayEvents}), for the API's event views. */
  events$(globs: readonly string[]): Observable<BusEvent>;
  /** Stops following and releases this master's sessions. */
  stop(): void;
}

/**
 * Everything a master does to work beside others on one database: follow their key changes,
 * keep `minion_sessions` for the minions it holds under a lease (a fresh master id per start),
 * relay events both ways for the event views, and recover at start only the jobs no live master
 * may own.
 */
export function shareWithMasters(o: SharingOptions): SharedMaster {
  const masterId = randomUUID();
  const log = o.log.child({ component: 'sharing', masterId });
  log.info({ leaseMs: o.leaseMs }, 'sharing the database with other masters');
  const all = new Subscription();
  all.add(followSharedKeys(o.url, o.keys, log));
  all.add(trackSessions({ db: o.db, bus: o.bus, masterId, leaseMs: o.leaseMs, now: o.now, log }));
  // The relay writes through a connection of its own, without blocking the loop (docs/scale.md).
  const writer = openPgAsyncBridge({ url: o.url, applicationName: 'brine-master-events' });
  const relay = relayEvents({ db: o.db, url: o.url, bus: o.bus, masterId, now: o.now, log, writer });
  all.add(() => {
    relay.stop();
    writer.close();
  });
  return {
    masterId,
    writer,
    events$: (globs) => relay.events$(globs),
    guard: (jobs) => ({ ...jobs, unfinishedJobs: () => orphanedJobs(jobs.unfinishedJobs(), o.db, masterId, o.now()) }),
    stop: () => all.unsubscribe(),
  };
}

/**
 * The unfinished jobs no other live master may be running. Jobs carry no owner yet, so the
 * rule is by time: a job started after another live master (lease not ended) started may be
 * that master's, and is left to it; a job older than every other live master belonged to a
 * master that is gone. Errs towards leaving a job alone: an orphan started while an unrelated
 * master was up stays unfinished until that master stops (job ownership under a lease, with
 * takeover, is the fix; docs/scale.md).
 */
export function orphanedJobs(jobs: JobListing[], db: PgBridge, masterId: string, now: number): JobListing[] {
  const [result] = db.run([
    {
      text: 'SELECT min(started_at) AS since FROM masters WHERE master_id <> $1 AND lease_until > $2',
      values: [masterId, now],
    },
  ]);
  const since = result?.rows[0]?.since as number | null | undefined;
  return since === null || since === undefined ? jobs : jobs.filter((j) => j.startedAt < since);
}
