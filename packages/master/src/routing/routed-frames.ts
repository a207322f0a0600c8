import { decodeValue, encodeValue } from '@brine/protocol';
import type { JobFrame } from '../core/minion-link.js';
import type { PgBridge } from '../store/pg-bridge.js';

/** The channel on which a batch of routed frames is announced, once per target master (payload: its id). */
export const ROUTED_CHANNEL = 'brine_routed';

/** Frame bytes for one minion held by another master. */
export interface MinionBound {
  id: string;
  bytes: Uint8Array;
}

/** What one read of this master's routed frames gave. */
export type RoutedBatch =
  { kind: 'minion'; minionIds: string[]; bytes: Uint8Array } | { kind: 'owner'; frames: JobFrame[] };

const SQL = {
  // The holder of each minion is resolved here, at the write: a live session row of another
  // master. Frames alike (the same audience page) go as one row per holder; one NOTIFY per holder.
  toMinions: `WITH t AS (SELECT * FROM unnest($1::int[], $2::text[]) AS t(k, id)),
    g AS (SELECT s.master_id, t.k, array_agg(t.id) AS ids FROM t
      JOIN minion_sessions s ON s.minion_id = t.id AND s.lease_until > $5 AND s.master_id <> $4
      GROUP BY s.master_id, t.k),
    ins AS (INSERT INTO routed_frames (to_master, kind, minion_ids, frames, created_at)
      SELECT g.master_id, 'minion', g.ids, ARRAY[($3::bytea[])[g.k]], $5 FROM g RETURNING to_master)
    SELECT pg_notify('${ROUTED_CHANNEL}', m) FROM (SELECT DISTINCT to_master AS m FROM ins) d`,
  // The owner of each job is resolved here: a job with no owner row (finished) or owned by this
  // master sends nothing.
  toOwners: `WITH t AS (SELECT * FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS t(jid, frame, n)),
    g AS (SELECT o.master_id, array_agg(t.frame ORDER BY t.n) AS frames FROM t
      JOIN job_owners o ON o.jid = t.jid AND o.master_id <> $3 GROUP BY o.master_id),
    ins AS (INSERT INTO routed_frames (to_master, kind, frames, created_at)
      SELECT g.master_id, 'owner', g.frames, $4 FROM g RETURNING to_master)
    SELECT pg_notify('${ROUTED_CHANNEL}', m) FROM (SELECT DISTINCT to_master AS m FROM ins) d`,
  take: `WITH d AS (DELETE FROM routed_frames WHERE to_master = $1 RETURNING id, kind, minion_ids, frames)
    SELECT kind, minion_ids, frames FROM d ORDER BY id`,
  purge: 'DELETE FROM routed_frames WHERE created_at < $1',
} as const;

/**
 * Writes frames for minions other masters hold, in one statement: a row per holder and distinct
 * frame, and one NOTIFY per holder. A minion no live master holds gets nothing (its job sees no
 * ack, and reports it as for any minion that went away).
 */
export function routeToMinions(db: PgBridge, from: string, now: number, frames: readonly MinionBound[]): void {
  if (frames.length === 0) return;
  // The same bytes (one audience page) are sent once per holder, not once per minion.
  const index = new Map<Uint8Array, number>();
  const ks: number[] = [];
  for (const f of frames) {
    let k = index.get(f.bytes);
    if (k === undefined) index.set(f.bytes, (k = index.size + 1));
    ks.push(k);
  }
  const values = [ks, frames.map((f) => f.id), [...index.keys()], from, now];
  db.run([{ text: SQL.toMinions, values }]);
}

/** Writes minions' acks and progress for jobs other masters own, a row and a NOTIFY per owner. */
export function routeToOwners(db: PgBridge, from: string, now: number, frames: readonly JobFrame[]): void {
  if (frames.length === 0) return;
  const values = [frames.map((f) => f.jid), frames.map((f) => encodeValue(f)), from, now];
  db.run([{ text: SQL.toOwners, values }]);
}

/** Takes (deletes and returns, in order) every frame routed to `masterId`. */
export function takeRouted(db: PgBridge, masterId: string): RoutedBatch[] {
  const rows = db.run([{ text: SQL.take, values: [masterId] }])[0]!.rows as {
    kind: 'minion' | 'owner';
    minion_ids: string[] | null;
    frames: Uint8Array[];
  }[];
  return rows.map((r): RoutedBatch => {
    if (r.kind === 'minion') return { kind: 'minion', minionIds: r.minion_ids ?? [], bytes: r.frames[0]! };
    const frames: JobFrame[] = [];
    for (const bytes of r.frames) {
      const decoded = decodeValue(bytes);
      if (decoded.ok) frames.push(decoded.value as JobFrame);
    }
    return { kind: 'owner', frames };
  });
}

/** Drops routed frames older than `before` (sent to a master that died before reading them). */
export function purgeRouted(db: PgBridge, before: number): number {
  return db.run([{ text: SQL.purge, values: [before] }])[0]!.rowCount;
}
