import { decodeValue, encodeValue, type JobRequest } from '@brine/protocol';
import type { PgBridge } from '../store/pg-bridge.js';

/** A job another master owned, now this master's. */
export interface TakenJob {
  jid: string;
  request: JobRequest;
  user: string;
  startedAt: number;
}

/** The statements, exported for the test of two masters taking over at once. */
export const OWNERSHIP_SQL = {
  claim: `INSERT INTO job_owners (jid, master_id, request, "user", started_at) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (jid) DO NOTHING`,
  release: 'DELETE FROM job_owners WHERE jid = $1',
  // The owner's lease is its row in `masters`, renewed with its heartbeat (pg-sessions.ts). The
  // UPDATE's condition names the old owner, so when two masters take the same job at once the
  // second, re-checking the row after the first committed, finds the owner changed and skips it:
  // exactly one master takes each job over.
  takeOver: `WITH stale AS (
      SELECT o.jid, o.master_id FROM job_owners o
      WHERE NOT EXISTS (SELECT 1 FROM masters m WHERE m.master_id = o.master_id AND m.lease_until > $2)
        -- Or this master's own job that it does not run (an adoption that failed half-way).
        OR (o.master_id = $1 AND NOT (o.jid = ANY($4::text[])))
      ORDER BY o.started_at LIMIT $3)
    UPDATE job_owners o SET master_id = $1, takeovers = o.takeovers + 1
    FROM stale s WHERE o.jid = s.jid AND o.master_id = s.master_id
    RETURNING o.jid, o.request, o."user", o.started_at`,
  owned: 'SELECT jid FROM job_owners WHERE jid = ANY($1::text[])',
  mine: 'SELECT jid FROM job_owners WHERE jid = ANY($1::text[]) AND master_id = $2',
} as const;

/** Records that `masterId` owns a new job, with the request another master would need to take it over. */
export function claimJob(db: PgBridge, masterId: string, job: TakenJob): void {
  db.run([
    { text: OWNERSHIP_SQL.claim, values: [job.jid, masterId, encodeValue(job.request), job.user, job.startedAt] },
  ]);
}

/** Drops a finished job's owner row. */
export function releaseJob(db: PgBridge, jid: string): void {
  db.run([{ text: OWNERSHIP_SQL.release, values: [jid] }]);
}

/**
 * Takes over, for `masterId`, up to `limit` unfinished jobs whose owner's lease has ended (or
 * whose owner stopped and removed its row), oldest first, and returns them; with them, any job
 * `masterId` owns but is not among the `running` ones (so a takeover that failed half-way is
 * tried again).
 */
export function takeOverJobs(
  db: PgBridge,
  masterId: string,
  now: number,
  running: readonly string[],
  limit = 100,
): TakenJob[] {
  const rows = db.run([{ text: OWNERSHIP_SQL.takeOver, values: [masterId, now, limit, running] }])[0]!.rows as {
    jid: string;
    request: Uint8Array;
    user: string;
    started_at: number;
  }[];
  const taken: TakenJob[] = [];
  for (const r of rows) {
    const decoded = decodeValue(r.request);
    if (decoded.ok)
      taken.push({ jid: r.jid, request: decoded.value as JobRequest, user: r.user, startedAt: r.started_at });
  }
  return taken;
}

/** Which of `jids` have an owner (and so are left to takeover rather than to the restart recovery). */
export function ownedJobs(db: PgBridge, jids: readonly string[]): Set<string> {
  if (jids.length === 0) return new Set();
  const rows = db.run([{ text: OWNERSHIP_SQL.owned, values: [jids] }])[0]!.rows as { jid: string }[];
  return new Set(rows.map((r) => r.jid));
}

/**
 * Which of `jids` (jobs running here) `masterId` no longer owns: another master took them over
 * while this one was stalled past its lease, or finished them.
 */
export function lostJobs(db: PgBridge, masterId: string, jids: readonly string[]): string[] {
  if (jids.length === 0) return [];
  const rows = db.run([{ text: OWNERSHIP_SQL.mine, values: [jids, masterId] }])[0]!.rows as { jid: string }[];
  const mine = new Set(rows.map((r) => r.jid));
  return jids.filter((jid) => !mine.has(jid));
}
