import type { Logger } from 'pino';
import { Subject, asyncScheduler, bufferTime, filter, type SchedulerLike } from 'rxjs';
import { AUDIT_LIST_DEFAULT, type AuditEntry, type AuditQuery, type AuditTrail } from '../audit/audit-trail.js';
import type { PgAsyncBridge } from './pg-async-bridge.js';
import type { PgBridge, Statement } from './pg-bridge.js';

/** Options for {@link pgAuditTrail}. */
export interface PgAuditOptions {
  /** The store's connection: for `list`, and for the last writes at `close`. */
  db: PgBridge;
  /**
   * A connection whose calls do not block, for the batches (the event relay's). @default none:
   * batches go through `db`, and the event loop waits for each INSERT
   */
  writer?: Pick<PgAsyncBridge, 'run'>;
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
 * Entries are written in batches (one INSERT per `batchMs`, never a round trip per request),
 * through `writer` when given, one batch in flight at a time; a batch that fails is kept and
 * written with the next one, up to `maxPending` entries. `close` waits for the batch in flight
 * and writes the rest through `db`.
 */
export function pgAuditTrail(o: PgAuditOptions): AuditTrail {
  const maxPending = o.maxPending ?? 20_000;
  const entries = new Subject<AuditEntry>();
  let pending: AuditEntry[] = [];
  let dropped = 0;
  let inFlight: Promise<void> | undefined;
  const keep = (batch: AuditEntry[], err: unknown) => {
    pending = [...batch, ...pending];
    if (pending.length > maxPending) {
      dropped += pending.length - maxPending;
      pending = pending.slice(-maxPending);
    }
    o.log.warn({ err: (err as Error).message, pending: pending.length, dropped }, 'could not write the audit log');
  };
  const writeNow = () => {
    const batch = pending;
    pending = [];
    try {
      o.db.run([insertOf(o.masterId, batch)]);
    } catch (err) {
      keep(batch, err);
    }
  };
  const flush = () => {
    if (pending.length === 0 || inFlight) return;
    if (!o.writer) return writeNow();
    const batch = pending;
    pending = [];
    inFlight = o.writer
      .run([insertOf(o.masterId, batch)])
      .then(
        () => undefined,
        (err: unknown) => keep(batch, err),
      )
      .finally(() => (inFlight = undefined));
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
    list: (q) => list(o.db, q),
    // Through the writer when there is one: an hour's worth of rows goes without blocking the loop.
    purgeBefore: async (beforeMs) => {
      const purge = { text: 'DELETE FROM audit_log WHERE at < $1', values: [beforeMs] };
      const [result] = o.writer ? await o.writer.run([purge]) : o.db.run([purge]);
      return result?.rowCount ?? 0;
    },
    close: async () => {
      // Completing the subject emits the last buffer into `pending`.
      entries.complete();
      sub.unsubscribe();
      await inFlight;
      if (pending.length > 0) writeNow();
    },
  };
}

function insertOf(masterId: string, batch: readonly AuditEntry[]): Statement {
  return {
    text: `INSERT INTO audit_log (at, master_id, "user", outcome, entry)
      SELECT t.at, $1, t.u, t.outcome, t.entry FROM unnest($2::bigint[], $3::text[], $4::text[], $5::jsonb[])
        AS t(at, u, outcome, entry)`,
    values: [
      masterId,
      batch.map((e) => e.at),
      batch.map((e) => e.user),
      batch.map((e) => e.outcome),
      batch.map((e) => JSON.stringify(e)),
    ],
  };
}

function list(db: PgBridge, q: AuditQuery): AuditEntry[] {
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
  const rows = db.run([
    {
      text: `SELECT entry FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY at DESC, id DESC LIMIT $${values.length}`,
      values,
    },
  ])[0]!.rows as { entry: AuditEntry }[];
  return rows.map((r) => r.entry);
}
