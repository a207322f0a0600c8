import type { Logger } from 'pino';
import { Subject, asyncScheduler, bufferTime, filter, type SchedulerLike } from 'rxjs';
import { AUDIT_LIST_DEFAULT, type AuditEntry, type AuditTrail } from '../audit/audit-trail.js';
import type { PgBridge } from './pg-bridge.js';

/** Options for {@link pgAuditTrail}. */
export interface PgAuditOptions {
  db: PgBridge;
  /** This master's id, written with each of its entries. */
  masterId: string;
  log: Logger;
  /** Longest an entry waits for its batch, in ms. @default 200 */
  batchMs?: number;
  /** Entries held while the database is down; past it the oldest are dropped (and counted in the log). @default 20000 */
  maxPending?: number;
  /** @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/**
 * The audit log of every master in one table (`audit_log`), so any master answers for all.
 * Entries are written in batches (one INSERT per `batchMs`), never one round trip per request;
 * a batch that fails is kept and written with the next one, up to `maxPending` entries.
 */
export function pgAuditTrail(o: PgAuditOptions): AuditTrail {
  const maxPending = o.maxPending ?? 20_000;
  const entries = new Subject<AuditEntry>();
  let pending: AuditEntry[] = [];
  let dropped = 0;
  const flush = () => {
    if (pending.length === 0) return;
    try {
      o.db.run([
        {
          text: `INSERT INTO audit_log (at, master_id, "user", outcome, entry)
            SELECT t.at, $1, t.u, t.outcome, t.entry FROM unnest($2::bigint[], $3::text[], $4::text[], $5::jsonb[])
              AS t(at, u, outcome, entry)`,
          values: [
            o.masterId,
            pending.map((e) => e.at),
            pending.map((e) => e.user),
            pending.map((e) => e.outcome),
            pending.map((e) => JSON.stringify(e)),
          ],
        },
      ]);
      pending = [];
    } catch (err) {
      if (pending.length > maxPending) {
        dropped += pending.length - maxPending;
        pending = pending.slice(-maxPending);
      }
      o.log.warn({ err: (err as Error).message, pending: pending.length, dropped }, 'could not write the audit log');
    }
  };
  const sub = entries
    .pipe(
      bufferTime(o.batchMs ?? 200, o.scheduler ?? asyncScheduler),
      filter((b) => b.length > 0 || pending.length > 0),
    )
    .subscribe((batch) => {
      pending.push(...batch);
      flush();
    });
  return {
    record: (e) => entries.next({ ...e, master: o.masterId }),
    list: (q) => {
      const where: string[] = [];
      const values: unknown[] = [];
      const add = (clause: string, v: unknown) => {
        values.push(v);
        where.push(clause.replace('?', `$${values.length}`));
      };
      if (q.since !== undefined) add('at >= ?', q.since);
      if (q.until !== undefined) add('at < ?', q.until);
      if (q.user !== undefined) add('"user" = ?', q.user);
      if (q.outcome !== undefined) add('outcome = ?', q.outcome);
      values.push(q.limit ?? AUDIT_LIST_DEFAULT);
      const rows = o.db.run([
        {
          text: `SELECT entry FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
            ORDER BY at DESC, id DESC LIMIT $${values.length}`,
          values,
        },
      ])[0]!.rows as { entry: AuditEntry }[];
      return rows.map((r) => r.entry);
    },
    close: () => {
      // Completing the subject emits the last buffer, which flushes.
      entries.complete();
      sub.unsubscribe();
      flush();
    },
  };
}
