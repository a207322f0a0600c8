import { Observable, tap } from 'rxjs';
import type { FrameRouter } from '../core/frame-router.js';
import type { JobFrame } from '../core/minion-link.js';
import type { PgBridge } from '../store/pg-bridge.js';
import { minionFromRow, type MinionRow } from '../store/sqlite-rows.js';

type ReturnFrame = Extract<JobFrame, { kind: 'return' }>;

const RETURN_OUTCOMES = ['returned', 'timed_out', 'interrupted', 'cancelled'];

const SQL = {
  stored: `SELECT minion_id, attempt FROM job_minions WHERE jid = $1 AND outcome = ANY($2::text[])`,
  rows: `SELECT minion_id, outcome, success::int AS success, retcode, ret, reason, duration_ms, attempt
    FROM job_minions WHERE jid = $1 AND minion_id = ANY($2::text[]) AND outcome = ANY($3::text[])`,
  // The rows one transaction wrote (it named its id in its notification) and still hold: the
  // database scans the jobs' rows, only these cross the connection.
  written: `SELECT jid, minion_id, outcome, success::int AS success, retcode, ret, reason, duration_ms, attempt
    FROM job_minions WHERE jid = ANY($1::text[]) AND xmin = ANY($2::xid[]) AND outcome = ANY($3::text[])`,
} as const;

/** The returns other masters store for this master's jobs. */
export interface RemoteReturns {
  /**
   * The router as this master's job manager should use it: a job listening for its frames is
   * followed (its returns stored elsewhere are read and delivered to it), and the returns it
   * sees are remembered, so none is delivered twice.
   */
  frames$(jid: string): Observable<JobFrame>;
  /** Reads the stored returns of `jids` (those followed) that their jobs have not seen, and delivers them. */
  read(jids: Iterable<string>): void;
  /**
   * Reads only the returns that the transactions `xids` wrote for `jids` (those followed), as
   * their notifications said, in one query, and delivers those their jobs have not seen. A row
   * written again since carries the later transaction's id, whose own notification names it.
   */
  readWritten(jids: Iterable<string>, xids: readonly string[]): void;
  /** Reads every followed job (after a lost notification, say). */
  readAll(): void;
}

/**
 * Feeds the returns that other masters store into this master's job pipelines: they write
 * returns in batches with one `brine_returns` notification naming the jids and the transaction;
 * the rows that transaction wrote for the followed jobs are read in one query
 * ({@link RemoteReturns.readWritten}), or, to catch up, each job's rows stored since (first which
 * minions have one, then only the new rows in full), and delivered through `router` as the
 * minions' own return frames.
 */
export function remoteReturns(db: PgBridge, router: Pick<FrameRouter, 'frames$' | 'route'>): RemoteReturns {
  // Per followed job: the highest attempt whose return each minion's job has seen.
  const seen = new Map<string, Map<string, number>>();
  const note = (jid: string, f: JobFrame) => {
    if (f.kind !== 'return') return;
    const m = seen.get(jid);
    if (m && (m.get(f.minionId) ?? -1) < f.attempt) m.set(f.minionId, f.attempt);
  };
  const deliver = (jid: string, rows: MinionRow[]) => {
    const m = seen.get(jid);
    if (!m) return;
    for (const row of rows) {
      const r = minionFromRow(row);
      if ((m.get(r.id) ?? -1) >= (r.attempt ?? 0)) continue;
      const frame: ReturnFrame = {
        kind: 'return',
        minionId: r.id,
        jid,
        attempt: r.attempt ?? 0,
        outcome: r.outcome as ReturnFrame['outcome'],
        ret: r.ret,
        retcode: r.retcode ?? 0,
        success: r.success,
        durationMs: r.durationMs ?? 0,
      };
      note(jid, frame);
      router.route(frame);
    }
  };
  const readOne = (jid: string) => {
    const m = seen.get(jid);
    if (!m) return;
    const stored = db.run([{ text: SQL.stored, values: [jid, RETURN_OUTCOMES] }])[0]!.rows as {
      minion_id: string;
      attempt: number;
    }[];
    const fresh = stored.filter((r) => (m.get(r.minion_id) ?? -1) < r.attempt).map((r) => r.minion_id);
    if (fresh.length === 0) return;
    const rows = db.run([{ text: SQL.rows, values: [jid, fresh, RETURN_OUTCOMES] }])[0]!.rows as unknown as MinionRow[];
    deliver(jid, rows);
  };
  const read = (jids: Iterable<string>) => {
    for (const jid of jids) readOne(jid);
  };
  return {
    frames$: (jid) =>
      new Observable<JobFrame>((subscriber) => {
        if (!seen.has(jid)) seen.set(jid, new Map());
        const inner = router
          .frames$(jid)
          .pipe(tap((f) => note(jid, f)))
          .subscribe(subscriber);
        return () => {
          inner.unsubscribe();
          seen.delete(jid);
        };
      }),
    read,
    readWritten: (jids, xids) => {
      const followed = [...new Set(jids)].filter((jid) => seen.has(jid));
      if (followed.length === 0 || xids.length === 0) return;
      const rows = db.run([{ text: SQL.written, values: [followed, xids, RETURN_OUTCOMES] }])[0]!
        .rows as unknown as (MinionRow & {
        jid: string;
      })[];
      const byJid = new Map<string, MinionRow[]>();
      for (const row of rows) {
        let list = byJid.get(row.jid);
        if (!list) byJid.set(row.jid, (list = []));
        list.push(row);
      }
      for (const [jid, list] of byJid) deliver(jid, list);
    },
    readAll: () => read([...seen.keys()]),
  };
}
