import type { Logger } from 'pino';
import { Subscription, asyncScheduler, bufferTime, filter, interval, type SchedulerLike } from 'rxjs';
import type { EventBus } from '../core/event-bus.js';
import type { PgBridge } from './pg-bridge.js';

/** Options for {@link trackSessions}. */
export interface SessionTrackerOptions {
  db: PgBridge;
  bus: Pick<EventBus, 'events$'>;
  /** This master process: a fresh id per start, so a restarted master holds nothing from before. */
  masterId: string;
  /** How long a session row holds without a renewal, in ms; renewed every third of it. */
  leaseMs: number;
  now: () => number;
  log: Logger;
  /** Batches of connects and disconnects are written every this many ms. @default 100 */
  batchMs?: number;
  /** @default asyncScheduler */
  scheduler?: SchedulerLike;
}

const SQL = {
  master: `INSERT INTO masters (master_id, started_at, lease_until) VALUES ($1, $2, $3)
    ON CONFLICT (master_id) DO UPDATE SET lease_until = excluded.lease_until`,
  renewSessions: 'UPDATE minion_sessions SET lease_until = $2 WHERE master_id = $1',
  hold: `INSERT INTO minion_sessions (minion_id, master_id, connected_at, lease_until)
    SELECT id, $2, $3, $4 FROM unnest($1::text[]) AS t(id)
    ON CONFLICT (minion_id) DO UPDATE SET master_id = excluded.master_id, connected_at = excluded.connected_at,
      lease_until = excluded.lease_until`,
  // Only this master's row: the minion may already be held by another master it moved to.
  release: 'DELETE FROM minion_sessions WHERE master_id = $2 AND minion_id = ANY($1::text[])',
  releaseAll: 'DELETE FROM minion_sessions WHERE master_id = $1',
  dropMaster: 'DELETE FROM masters WHERE master_id = $1',
  holders: `SELECT minion_id, master_id FROM minion_sessions WHERE lease_until > $1`,
} as const;

/**
 * Keeps this master's rows of `minion_sessions` (which master holds which minion) in step with
 * its connections: connects and disconnects on the bus are written in batches, one transaction
 * each, and every lease is renewed every `leaseMs / 3` together with the master's own row in
 * `masters`. A master killed with SIGKILL stops renewing, and its rows count as free once their
 * lease ends (see {@link sessionHolders}). Unsubscribing releases every row of this master.
 */
export function trackSessions(o: SessionTrackerOptions): Subscription {
  const scheduler = o.scheduler ?? asyncScheduler;
  const run = (text: string, values: unknown[]) => {
    try {
      o.db.run([{ text, values }]);
    } catch (err) {
      o.log.warn({ err: (err as Error).message }, 'could not write minion sessions');
    }
  };
  const renew = () => {
    const until = o.now() + o.leaseMs;
    run(SQL.master, [o.masterId, o.now(), until]);
    run(SQL.renewSessions, [o.masterId, until]);
  };
  renew();
  const subscription = new Subscription();
  subscription.add(interval(Math.max(1, Math.floor(o.leaseMs / 3)), scheduler).subscribe(renew));
  subscription.add(
    o.bus
      .events$(['brine/minion/*/connected', 'brine/minion/*/disconnected'])
      .pipe(
        bufferTime(o.batchMs ?? 100, scheduler),
        filter((batch) => batch.length > 0),
      )
      .subscribe((batch) => {
        // The last event of each minion in the batch decides: held or released.
        const last = new Map<string, boolean>();
        for (const e of batch) last.set(e.tag.split('/')[2]!, e.tag.endsWith('/connected'));
        const held = [...last].filter(([, up]) => up).map(([id]) => id);
        const gone = [...last].filter(([, up]) => !up).map(([id]) => id);
        if (held.length > 0) run(SQL.hold, [held, o.masterId, o.now(), o.now() + o.leaseMs]);
        if (gone.length > 0) run(SQL.release, [gone, o.masterId]);
      }),
  );
  subscription.add(() => {
    run(SQL.releaseAll, [o.masterId]);
    run(SQL.dropMaster, [o.masterId]);
  });
  return subscription;
}

/** Which live master holds each minion: only rows whose lease has not ended. */
export function sessionHolders(db: PgBridge, now: number): Map<string, string> {
  const rows = db.run([{ text: SQL.holders, values: [now] }])[0]!.rows as { minion_id: string; master_id: string }[];
  return new Map(rows.map((r) => [r.minion_id, r.master_id]));
}
